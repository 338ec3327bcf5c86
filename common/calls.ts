// Names only, no schemas: the sandboxed preload imports this without pulling in the validator.
export const CALL_NAMES = [
  'getInfo',
  'listDatasets',
  'importFolder',
  'cancelJob',
  'listJobs',
  'listRuns',
  'listImages',
  'getImage',
  'setReview',
  'exportCsv',
  'startRun',
  'pauseJob',
  'resumeJob',
  'queryImages',
  'getImages',
  'setVerdicts',
  'getExpectedBox',
  'setExpectedBox',
  'explainImage',
  'exportHtml',
  'getMetrics',
  'sanityCheck',
  'measureFaithfulness',
  'compareRuns',
  'clusterRun',
  'listModels',
  'addModel',
  'setModelSetup',
  'setActiveModel',
  'previewModel',
  'browse',
  'setDatasetLabels',
  'setTags',
  'restoreTags',
  'listViews',
  'saveView',
  'deleteView',
  'exportPaths',
] as const;
export type CallName = (typeof CALL_NAMES)[number];

export const EVENT_NAMES = ['jobProgress'] as const;
export type EventName = (typeof EVENT_NAMES)[number];

/** Electron IPC channel names; the web host uses /api/<call> instead. */
export type DesktopCall = 'pickFolder' | 'pickModel' | 'pickLabelsFile' | 'revealImage' | 'saveFile';
export const ipcChannel = (call: CallName | DesktopCall): string => `sightline:${call}`;
export const MENU_CHANNEL = 'sightline:menu';
export const ipcEventChannel = (event: EventName): string => `sightline:event:${event}`;
