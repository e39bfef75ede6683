// The API's report.html: the full report page (src/report/html.ts); audits served by the API are always signed.
import type { Report } from '../engine/audit/report';
import { renderReportHtml as renderPage } from '../report/html';

/** How a reader checks an API audit: fetch the attestation, verify it against the server's /v1/keys. */
const verifyCommand = (id: string) =>
  `curl -o attestation.json "$QAUDIT_URL/v1/audits/${id}/attestation"\nqaudit verify attestation.json --keys "$QAUDIT_URL" --model model.json`;

export function renderReportHtml(report: Report, id: string): string {
  return renderPage(report, { id, signature: { status: 'signed', verifyCommand: verifyCommand(id) } });
}
