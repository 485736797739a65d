/**
 * The argv the official runner means when it hands a hook `entryPointArgs`.
 *
 * The runner builds a step's arguments as ONE string from its shell template (`sh -e {0}`, `bash --noprofile --norc
 * -e -o pipefail {0}`, `pwsh -command ". '{0}'"`, …) and, for the hook, splits that string on single spaces
 * (actions/runner src/Runner.Worker/Container/ContainerHooks/ContainerHookManager.cs, RunScriptStepAsync:
 * `entryPointArgs.Split(' ')`; HookInput.cs for container steps). Without hooks the same string reaches the process
 * through .NET's `ProcessStartInfo.Arguments`, which on Unix is split by the rules of dotnet/runtime
 * `Process.Unix.cs` ParseArgumentsIntoList: whitespace separates, double quotes group and are removed, `""` inside
 * quotes is one quote, backslashes are literal unless they precede a quote (2n → n and the quote delimits; 2n+1 →
 * n and a literal quote); single quotes are ordinary characters. Taking the split pieces verbatim would hand pwsh
 * the literal `".` and `'…ps1'"`, and the script path would be printed instead of run — so we re-join the pieces
 * and split them again the way the runner's own process start would.
 */
export function runnerArgv(entryPointArgs: readonly string[]): string[] {
  return parseArguments(entryPointArgs.join(' '));
}

export function parseArguments(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  const white = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r';
  while (i < text.length) {
    while (i < text.length && white(text[i])) i++;
    if (i >= text.length) break;
    let arg = '';
    let inQuotes = false;
    while (i < text.length) {
      const c = text[i]!;
      if (c === '\\') {
        let n = 0;
        while (text[i] === '\\') {
          n++;
          i++;
        }
        if (text[i] === '"') {
          arg += '\\'.repeat(Math.floor(n / 2));
          if (n % 2 === 1) {
            arg += '"';
            i++;
          }
        } else arg += '\\'.repeat(n);
        continue;
      }
      if (c === '"') {
        if (inQuotes && text[i + 1] === '"') {
          arg += '"';
          i += 2;
        } else {
          inQuotes = !inQuotes;
          i++;
        }
        continue;
      }
      if (white(c) && !inQuotes) break;
      arg += c;
      i++;
    }
    out.push(arg);
  }
  return out;
}
