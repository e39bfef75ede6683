// Where qaudit lives, for links in machine-readable outputs (SARIF rules, model cards); package.json's repository.
export const QAUDIT_REPOSITORY = 'https://github.com/qaudit/qaudit';
