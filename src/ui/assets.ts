// The front end's stylesheet and script, served from /ui/ so the pages run under a CSP without 'unsafe-inline'.
// The script is src/ui/client/*.ts, bundled by scripts/build.mjs into app-js.gen.ts.
export { APP_JS } from './app-js.gen';

export const APP_CSS = `
*,*::before,*::after{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#fff}
header{background:#14324f;padding:.6rem 1rem}
.brand{color:#fff;font-weight:700;text-decoration:none}
main{max-width:44rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;word-break:break-all}
a{color:#0645ad}
fieldset{border:1px solid #767676;border-radius:6px;margin:0 0 1rem;padding:.75rem}
fieldset.inline{border-style:dashed}
legend{font-weight:600;padding:0 .25rem}
label{display:block;margin:.5rem 0 .2rem}
label.check{display:inline-flex;align-items:center;gap:.35rem;margin:.25rem 1rem .25rem 0;min-height:2.75rem}
input[type=text],input[type=number],input[type=password],select,input[type=file]{width:100%;font:inherit;padding:.5rem;border:1px solid #595959;border-radius:4px;background:#fff;color:#1a1a1a}
input[type=checkbox],input[type=radio]{width:1.25rem;height:1.25rem}
button{font:inherit;min-height:2.75rem;padding:.5rem 1rem;border-radius:4px;border:1px solid #14324f;background:#fff;color:#14324f;cursor:pointer}
button[type=submit]{background:#14324f;color:#fff;width:100%}
button[aria-pressed=true]{background:#dbe7f3}
button:disabled{opacity:.6;cursor:progress}
:focus-visible{outline:3px solid #c25400;outline-offset:2px}
.presets{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.help{color:#4a4a4a;font-size:.9rem;margin:.25rem 0}
.error{color:#a4000f;font-weight:600}
.bar{height:1.5rem;border:1px solid #14324f;border-radius:4px;background:#eef2f6;overflow:hidden}
.fill{height:100%;width:0;background:#1d6b2f;transition:width .4s}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}
.facts dt{font-weight:600}.facts dd{margin:0}
#done a{font-weight:600}
header{display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:center;justify-content:space-between}
header nav{display:flex;gap:1rem}header nav a{color:#fff}
.phases{display:flex;flex-wrap:wrap;gap:.25rem;list-style:none;padding:0;margin:.5rem 0;counter-reset:ph}
.phases li{counter-increment:ph;padding:.2rem .6rem;border:1px solid #767676;border-radius:1rem;color:#4a4a4a}
.phases li::before{content:counter(ph) ". "}
.phases li.past{border-color:#1d6b2f;color:#1d6b2f}.phases li.past::after{content:" ✓"}
.phases li.now{background:#14324f;border-color:#14324f;color:#fff;font-weight:600}
.loss-figure{margin:1rem 0}
.chart{width:100%;height:auto;font-size:11px;border:1px solid #d0d0d0;border-radius:4px}
.chart text{fill:#1a1a1a}.chart .axis{stroke:#1a1a1a}.chart .grid{stroke:#c8c8c8;stroke-width:.5}
.legend{list-style:none;padding:0;margin:.3rem 0;display:flex;flex-wrap:wrap;gap:.25rem 1rem}.legend svg{vertical-align:middle}
@media (prefers-reduced-motion:reduce){.fill{transition:none}}
`;
