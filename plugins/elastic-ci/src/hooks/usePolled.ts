import { useCallback, useEffect, useRef, useState } from 'react';

export interface PolledState<T> {
  /** True until the first answer (value or error) arrives. */
  loading: boolean;
  value?: T;
  /** The last load's error; `value` keeps the previous answer, so a failed refresh does not blank the page. */
  error?: Error;
  /** Load again now. */
  retry: () => void;
}

/**
 * Loads a value and, while `shouldRefresh(value)` holds, loads it again every `intervalMs` after the previous load
 * settled (never two loads in flight). A failed refresh keeps polling at the same pace. Changing `key` starts over.
 */
export function usePolled<T>(
  key: string,
  load: (signal: AbortSignal) => Promise<T>,
  options: { intervalMs: number; shouldRefresh: (value: T) => boolean },
): PolledState<T> {
  const [state, setState] = useState<{ key: string; loading: boolean; value?: T; error?: Error }>({
    key,
    loading: true,
  });
  const [generation, setGeneration] = useState(0);
  // The latest callbacks, so callers may pass inline functions without restarting the poll loop.
  const loadRef = useRef(load);
  const optionsRef = useRef(options);
  loadRef.current = load;
  optionsRef.current = options;

  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let lastValue: T | undefined;

    const schedule = () => {
      const { intervalMs, shouldRefresh } = optionsRef.current;
      if (lastValue !== undefined && shouldRefresh(lastValue) && !controller.signal.aborted) {
        timer = setTimeout(run, intervalMs);
      }
    };
    const run = () => {
      loadRef.current(controller.signal).then(
        (value) => {
          if (controller.signal.aborted) return;
          lastValue = value;
          setState({ key, loading: false, value });
          schedule();
        },
        (error: unknown) => {
          if (controller.signal.aborted) return;
          const err = error instanceof Error ? error : new Error(String(error));
          setState((previous) => ({
            key,
            loading: false,
            error: err,
            value: previous.key === key ? previous.value : undefined,
          }));
          schedule();
        },
      );
    };

    setState((previous) => (previous.key === key ? previous : { key, loading: true }));
    run();
    return () => {
      controller.abort();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [key, generation]);

  const retry = useCallback(() => setGeneration((g) => g + 1), []);
  if (state.key !== key) return { loading: true, retry };
  return { loading: state.loading, value: state.value, error: state.error, retry };
}
