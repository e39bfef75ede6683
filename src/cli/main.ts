// The qaudit command line: dispatches subcommands and turns errors into exit codes (docs in README).
import { CATEGORIES, categoryOf } from '../engine/errors';
import { QAUDIT_VERSION } from '../engine/audit/report';
import { AUDIT_HELP, auditCommand } from './audit';
import { RETRAIN_HELP, retrainCommand } from './retrain';
import { SUBMIT_HELP, submitCommand } from './submit';
import { VERIFY_HELP, verifyCommand } from './verify';
import { closestFlag } from './suggest';
import { withRemoteErrors } from './remote';

const HELP = `qaudit ${QAUDIT_VERSION}: audit the adversarial robustness of quantized neural networks

usage:
  qaudit audit --model model.json [options]                 run an audit on this machine
  qaudit submit --server URL --model model.json [options]   run it on a qaudit server (--wait to follow and gate)
  qaudit retrain --model model.json --method M --bits K --out DIR   retrain a k-bit model here (resumable)
  qaudit verify envelope.json --keys URL|FILE               check a signed report
  qaudit --version | --help

${AUDIT_HELP}

${SUBMIT_HELP}

${RETRAIN_HELP}

${VERIFY_HELP}

exit codes: 0 passed, 1 a --fail-under threshold missed, 2 bad input (incl. a request the server refused with 4xx),
3 internal error (incl. a server error, no answer, a failed or timed-out audit, an attestation that does not verify)`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'audit':
        // A local audit talks to a server only for a --baseline URL: its refusals map to exit codes as submit's do.
        return await withRemoteErrors(() => auditCommand(rest));
      case 'submit':
        return await submitCommand(rest);
      case 'retrain':
        return await retrainCommand(rest);
      case 'verify':
        return await verifyCommand(rest);
      case '--version':
      case '-v':
        return (console.log(QAUDIT_VERSION), 0);
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        return (console.log(HELP), 0);
      default:
        {
          const near = closestFlag(command, ['audit', 'submit', 'retrain', 'verify', 'help', 'version'])?.slice(2);
          console.error(`qaudit: unknown command '${command}'${near ? `; did you mean ${near}?` : ''}; see qaudit --help`);
        }
        return 2;
    }
  } catch (e) {
    // Typed errors carry their exit code (a local job's failure is rethrown typed, see runAuditLocally).
    if (CATEGORIES[categoryOf(e)].exit === 2) {
      console.error(`qaudit: ${(e as Error).message}`);
      return 2;
    }
    console.error(`qaudit: internal error: ${(e as Error)?.stack ?? e}`);
    return 3;
  }
}
