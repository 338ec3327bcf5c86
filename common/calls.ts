// Names only, no schemas: the sandboxed preload imports this without pulling in the validator.
import type { Service } from './contract';
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
  'queryImageIds',
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
  'renameDataset',
  'removeDataset',
  'setTags',
  'restoreTags',
  'listViews',
  'saveView',
  'deleteView',
  'exportPaths',
] as const;
export type CallName = (typeof CALL_NAMES)[number];

/** The contract's calls over a transport (IPC or HTTP): one function per call name, each sending its input, {} when none. */
export function callsOver(send: (call: CallName, input: unknown) => Promise<unknown>): Omit<Service, 'on'> {
  // The only cast of the transports: Object.fromEntries cannot type a mapped object. Its keys are exactly
  // CALL_NAMES, which Service's calls are made from; the inputs are checked where the call is served.
  return Object.fromEntries(CALL_NAMES.map((call) => [call, (input: unknown) => send(call, input ?? {})])) as Omit<Service, 'on'>;
}

export const EVENT_NAMES = ['jobProgress'] as const;
export type EventName = (typeof EVENT_NAMES)[number];

/** Electron IPC channel names; the web host uses /api/<call> instead. */
export type DesktopCall = 'pickFolder' | 'pickModel' | 'pickLabelsFile' | 'revealImage' | 'saveFile';
export const ipcChannel = (call: CallName | DesktopCall): string => `sightline:${call}`;
export const MENU_CHANNEL = 'sightline:menu';
export const ipcEventChannel = (event: EventName): string => `sightline:event:${event}`;
