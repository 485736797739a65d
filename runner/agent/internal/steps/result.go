package steps

import (
	"encoding/json"
	"os"
	"path/filepath"
)

// File names in a step's directory <state-dir>/steps/<id>/.
const (
	// LogFile holds the step's stdout and stderr in the order written (one pipe for both, like `2>&1`). It is only
	// ever appended to, so a byte offset names the same byte forever.
	LogFile = "log"
	// ResultFile appears (atomically) once the step has exited and LogFile is complete and synced.
	ResultFile = "result"
	// LateFile takes what processes the step left running write after it finished (at most lateLimit bytes), so
	// a background server is never killed by a broken pipe.
	LateFile = "late.log"
)

// Result is the content of ResultFile.
type Result struct {
	ExitCode int `json:"exitCode"`
	// Signal names the signal that killed the step's process ("SIGTERM"); its ExitCode is then 128+signo.
	Signal string `json:"signal,omitempty"`
	// Cancelled: the step was stopped through the cancel endpoint.
	Cancelled bool `json:"cancelled,omitempty"`
	// Bytes is LogFile's final size.
	Bytes int64 `json:"bytes"`
}

// writeResult writes the result next to the log: to a temporary file, synced, then renamed into place, so a reader
// sees either no result or the whole of it.
func writeResult(dir string, r Result) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, ResultFile+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, ResultFile))
}

// readResult reads a finished step's result (a step run by an earlier agent in this container).
func readResult(dir string) (Result, error) {
	var r Result
	b, err := os.ReadFile(filepath.Join(dir, ResultFile))
	if err != nil {
		return r, err
	}
	return r, json.Unmarshal(b, &r)
}
