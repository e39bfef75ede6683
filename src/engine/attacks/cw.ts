// CW-PGD: PGD (Madry et al. 2018) ascending the Carlini & Wagner 2017 margin loss -max(z_y - max_{j!=y} z_j, -kappa)
// instead of the cross-entropy, as in Madry et al.'s MNIST challenge. L-inf and L2. A margin loss keeps its
// gradient when a low-bit model's softmax saturates (Gupta & Ajanthan 2020). Not torchattacks' CW, which is the
// L2 minimum-norm optimisation of the original paper. Defaults: PGD's (40 steps, 0.01 or eps/4), kappa = CW_KAPPA.
import { Pgd, type PgdSettings } from './pgd';
import { cwLoss } from './losses';

export { CW_KAPPA } from './losses';

export function cwPgd(settings: Omit<PgdSettings, 'loss'>): Pgd {
  return new Pgd({ ...settings, loss: cwLoss }, 'cw');
}
