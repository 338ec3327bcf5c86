// A self-contained HTML report (one file: inline CSS, images as data: URIs, no scripts) of the flagged and
// most suspicious images, with per-class accuracy, verdict counts, failed files and a reproducibility manifest.
import { FLAGGED_VERDICTS } from '../../../common/query';
import type { ImageRow, Verdict } from '../../../common/types';
import { VERDICT_LABELS, VERDICTS } from '../../../common/types';
import { overlayJpeg } from './overlay';

export interface HtmlReportInput {
  title: string;
  rootPath: string;
  generatedAt: string;
  images: ImageRow[];
  /** Suspicion score per image id (higher first); images without one are not ranked. */
  suspicion: Map<number, number>;
  /** The photo's bytes (a thumbnail is enough) for an image id, or null. */
  photo(imageId: number): Promise<Buffer | null>;
  /** Model hash, layer, method, preprocessing, app and library versions… as label/value pairs. */
  manifest: [string, string][];
  maxSuspicious?: number;
  /** Where `images` are a part of the dataset: what part, and how many photos the dataset has. */
  scope?: { what: string; of: number } | null;
}

const FLAGGED: readonly Verdict[] = FLAGGED_VERDICTS;

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const pct = (v: number): string => `${(v * 100).toFixed(1)} %`;

function perClassRows(images: ImageRow[]): string {
  const byClass = new Map<string, { n: number; correct: number }>();
  for (const image of images) {
    if (image.status !== 'done' || image.trueLabel === null || image.correct === null) continue;
    const entry = byClass.get(image.trueLabel) ?? { n: 0, correct: 0 };
    entry.n++;
    if (image.correct) entry.correct++;
    byClass.set(image.trueLabel, entry);
  }
  return [...byClass.entries()]
    .sort((a, b) => a[1].correct / a[1].n - b[1].correct / b[1].n || a[0].localeCompare(b[0]))
    .map(([label, { n, correct }]) => `<tr><td>${escapeHtml(label)}</td><td>${n}</td><td>${correct}</td><td>${pct(correct / n)}</td></tr>`)
    .join('');
}

async function card(image: ImageRow, input: HtmlReportInput): Promise<string> {
  const bytes = await input.photo(image.id);
  const jpeg = bytes ? await overlayJpeg(bytes, image.heatmap).catch(() => null) : null;
  const img = jpeg
    ? `<img alt="${escapeHtml(image.fileName)} with its attention map" src="data:image/jpeg;base64,${jpeg.toString('base64')}">`
    : '<div class="noimg">no image</div>';
  const top = image.top.map((t) => `<li>${escapeHtml(t.label)} <b>${pct(t.prob)}</b></li>`).join('');
  const score = input.suspicion.get(image.id);
  const mark = image.correct === null ? '' : image.correct ? ' <span class="ok">✓</span>' : ' <span class="bad">✗</span>';
  return `<figure class="card">${img}<figcaption>
<div class="path" title="${escapeHtml(image.relPath)}">${escapeHtml(image.relPath)}</div>
<div>True: ${escapeHtml(image.trueLabel ?? '—')}${mark}</div><ol>${top}</ol>
<div>Verdict: <b>${VERDICT_LABELS[image.verdict ?? 'none']}</b>${score === undefined ? '' : ` · suspicion ${score.toFixed(2)}`}</div>
${image.note ? `<blockquote>${escapeHtml(image.note)}</blockquote>` : ''}</figcaption></figure>`;
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#1d2330;padding:0 1rem}
h1{font-size:1.6rem;margin:0}h2{margin-top:2.2rem;border-bottom:1px solid #dde2ea;padding-bottom:.3rem}
table{border-collapse:collapse}td,th{padding:.25rem .8rem;border-bottom:1px solid #eef0f4;text-align:left}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:1rem}
.card{margin:0;border:1px solid #dde2ea;border-radius:8px;overflow:hidden;background:#fff}.card img{width:100%;display:block}
figcaption{padding:.5rem .7rem}.path{font-weight:600;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
ol{margin:.3rem 0;padding-left:1.2rem}.ok{color:#137a3a}.bad{color:#b42318}blockquote{margin:.3rem 0;color:#4a5468;font-style:italic}
figcaption,blockquote{overflow-wrap:anywhere}
.muted{color:#6b7385}.noimg{height:160px;background:#eef0f4}.scope{background:#fff7e0;border:1px solid #f0d890;border-radius:6px;padding:.5rem .8rem}`;

export async function renderHtmlReport(input: HtmlReportInput): Promise<string> {
  const done = input.images.filter((i) => i.status === 'done');
  const failed = input.images.filter((i) => i.status === 'error');
  const judged = done.filter((i) => i.correct !== null);
  const correct = judged.filter((i) => i.correct).length;
  const flagged = input.images.filter((i) => i.verdict && FLAGGED.includes(i.verdict));
  const scored = done.filter((i) => input.suspicion.has(i.id));
  const suspicious = scored
    .filter((i) => !flagged.includes(i))
    .sort((a, b) => input.suspicion.get(b.id)! - input.suspicion.get(a.id)! || a.id - b.id)
    .slice(0, input.maxSuspicious ?? 24);
  const verdictRows = (['none', ...VERDICTS] as const)
    .map((v) => `<tr><td>${VERDICT_LABELS[v]}</td><td>${input.images.filter((i) => (i.verdict ?? 'none') === v).length}</td></tr>`)
    .join('');
  const cards = async (rows: ImageRow[]) => (await Promise.all(rows.map((r) => card(r, input)))).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>Sightline report — ${escapeHtml(input.title)}</title><style>${STYLE}</style></head><body>
<header><h1>Sightline report — ${escapeHtml(input.title)}</h1><p class="muted">${escapeHtml(input.rootPath)} · generated ${escapeHtml(input.generatedAt)}</p></header>
${input.scope ? `<p class="scope" id="scope">This report covers ${escapeHtml(input.scope.what)}: ${input.images.length} of the dataset's ${input.scope.of} photos. Every figure below counts these only.</p>` : ''}
<section id="summary"><h2>Summary</h2><p>${input.images.length} images: ${done.length} analysed, ${failed.length} failed.
${judged.length ? `Top-1 accuracy ${pct(correct / judged.length)} (${correct} of ${judged.length} with a known true class).` : 'No true classes known.'}
${flagged.length} flagged by the reviewer.</p></section>
<section id="per-class"><h2>Per-class accuracy</h2><table><thead><tr><th>True class</th><th>Images</th><th>Correct</th><th>Accuracy</th></tr></thead><tbody>${perClassRows(input.images)}</tbody></table></section>
<section id="verdicts"><h2>Verdicts</h2><table><tbody>${verdictRows}</tbody></table></section>
<section id="flagged"><h2>Flagged images (${flagged.length})</h2>${flagged.length ? `<div class="grid">${await cards(flagged)}</div>` : '<p class="muted">None flagged.</p>'}</section>
<section id="suspicious"><h2>Most suspicious, not yet flagged (${suspicious.length})</h2>${suspicious.length ? `<div class="grid">${await cards(suspicious)}</div>` : `<p class="muted">${scored.length ? 'Every photo with a suspicion score is flagged already.' : 'No suspicion scores.'}</p>`}</section>
<section id="errors"><h2>Files that could not be analysed (${failed.length})</h2>${failed.length ? `<table><tbody>${failed.map((f) => `<tr><td>${escapeHtml(f.relPath)}</td><td>${escapeHtml(f.error ?? '')}</td></tr>`).join('')}</tbody></table>` : '<p class="muted">None.</p>'}</section>
<section id="manifest"><h2>Reproducibility manifest</h2><table><tbody>${input.manifest.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</tbody></table></section>
</body></html>
`;
}
