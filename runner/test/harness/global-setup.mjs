// Jest loads global setup outside its transform pipeline's module mapper, so the TypeScript is loaded through tsx.
import { tsImport } from 'tsx/esm/api';

export default async function globalSetup() {
  const { globalSetup: run } = await tsImport('./setup.ts', import.meta.url);
  await run();
}
