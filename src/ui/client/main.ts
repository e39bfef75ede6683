// The front end's one script (/ui/app.js): runs the initialiser of the page it is loaded on (<body data-page>).
import { initProgress, initUpload } from './audit';
import { initRetrainForm, initRetrainJob } from './retrain';

const INIT: Record<string, () => void> = { upload: initUpload, progress: initProgress, 'retrain-form': initRetrainForm, 'retrain-job': initRetrainJob };
INIT[document.body.dataset.page ?? '']?.();
