package steps

import (
	"os"
	"path/filepath"
	"testing"
)

func TestResultIsWrittenWholeAndReadBack(t *testing.T) {
	dir := t.TempDir()
	want := Result{ExitCode: 143, Signal: "SIGTERM", Cancelled: true, Bytes: 12}
	if err := writeResult(dir, want); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, ResultFile+".tmp")); !os.IsNotExist(err) {
		t.Fatalf("the temporary file must be renamed away: %v", err)
	}
	got, err := readResult(dir)
	if err != nil || got != want {
		t.Fatalf("readResult = %+v, %v", got, err)
	}
}
