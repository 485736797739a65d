/**
 * What `hashFiles()` sees of the job's workspace under `eci-virtual run`: the expression is evaluated here, not in
 * the pod, so the workspace is modelled as the local working tree placed where each `actions/checkout` put it
 * (`github.workspace`, or below it with `with.path`), holding the files checkout uploads (checkout.ts). Files that
 * steps create inside the pod are not seen; before any checkout the workspace is empty, as on GitHub.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FileTree } from '../workflow/expr/hash-files.js';

export class CheckoutTree implements FileTree {
  private readonly dirs = new Map<string, Set<string>>();
  private readonly files = new Map<string, string>();

  /** `files` relative to the local `root`; `mounts` the absolute pod directories the tree was checked out to. */
  constructor(root: string, files: string[], mounts: string[]) {
    for (const mount of mounts) {
      const base = mount.split('/').filter(Boolean);
      for (const f of files) {
        const parts = [...base, ...f.split('/').filter(Boolean)];
        for (let i = 0; i < parts.length; i++) {
          const dir = `/${parts.slice(0, i).join('/')}`;
          let children = this.dirs.get(dir);
          if (!children) this.dirs.set(dir, (children = new Set()));
          children.add(parts[i]!);
        }
        this.files.set(`/${parts.join('/')}`, join(root, f));
      }
    }
  }

  kind(path: string): 'dir' | 'file' | undefined {
    if (this.dirs.has(path)) return 'dir';
    const local = this.files.get(path);
    if (local === undefined) return undefined;
    return lstatSync(local, { throwIfNoEntry: false })?.isDirectory() ? 'dir' : 'file';
  }

  list(path: string): string[] {
    return [...(this.dirs.get(path) ?? [])];
  }

  digest(path: string): Buffer | undefined {
    const local = this.files.get(path);
    if (local === undefined) return undefined;
    const st = statSync(local, { throwIfNoEntry: false });
    if (!st) throw new Error(`${path} is a broken symbolic link`);
    if (st.isDirectory()) return undefined;
    return createHash('sha256').update(readFileSync(local)).digest();
  }
}
