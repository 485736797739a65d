/**
 * Replaces secret values with *** in everything eci-virtual prints. Longest values first, so a secret that
 * contains another is masked whole. Multi-line secrets are also masked line by line (output is rendered per line).
 */
export class Masker {
  private values: string[] = [];

  add(value: string | undefined): void {
    if (!value) return;
    const parts = [value, ...value.split(/\r?\n/)].map((v) => v.trim()).filter((v) => v.length >= 1);
    for (const p of parts) if (!this.values.includes(p)) this.values.push(p);
    this.values.sort((a, b) => b.length - a.length);
  }

  mask(text: string): string {
    let out = text;
    for (const v of this.values) if (out.includes(v)) out = out.split(v).join('***');
    return out;
  }
}
