// An async boundary, so Module Federation can negotiate the shared React before the app runs.
void import('./shell.tsx');
