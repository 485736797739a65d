package auth

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

func TestCreateFileOncePerPod(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	created, err := CreateFile(path)
	if err != nil || !created {
		t.Fatalf("first CreateFile = %v, %v", created, err)
	}
	first, err := ReadFile(path)
	if err != nil || len(first) != 2*TokenBytes {
		t.Fatalf("ReadFile = %q, %v", first, err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != TokenMode {
		t.Fatalf("mode %v, want %v", st.Mode().Perm(), os.FileMode(TokenMode))
	}
	created, err = CreateFile(path)
	again, _ := ReadFile(path)
	if err != nil || created || again != first {
		t.Fatalf("a second install must keep the token: created=%v err=%v", created, err)
	}
}

func TestRequire(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) })
	deny := func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(401) }
	h := Require("secret-token", map[string]bool{"/open": true}, deny, ok)
	for _, tc := range []struct {
		path, header string
		want         int
	}{
		{"/x", "", 401},
		{"/x", "Bearer wrong", 401},
		{"/x", "secret-token", 401},
		{"/x", "Bearer secret-token", 204},
		{"/open", "", 204},
	} {
		r := httptest.NewRequest("GET", tc.path, nil)
		if tc.header != "" {
			r.Header.Set("Authorization", tc.header)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("%s with %q: %d, want %d", tc.path, tc.header, w.Code, tc.want)
		}
	}
}
