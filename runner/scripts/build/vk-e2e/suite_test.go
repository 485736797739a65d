// Package vke2e runs the upstream virtual-kubelet end-to-end suite (github.com/virtual-kubelet/virtual-kubelet/test/e2e)
// against an eci-virtual node. runner/scripts/lib/vk-e2e-suite.ts compiles it once per suite version with
// `go test -c`; runner/test/integration/virtual-node-e2e.test.ts runs the binary. The suite is used as published:
// this file only passes the flags and names the upstream tests to skip (each skip carries its reason, printed).
package vke2e

import (
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	vke2e "github.com/virtual-kubelet/virtual-kubelet/test/e2e"
)

var (
	kubeconfig   = flag.String("kubeconfig", "", "kubeconfig of the cluster the node is registered in")
	namespace    = flag.String("namespace", "", "namespace the suite creates its pods in")
	nodeName     = flag.String("node-name", "", "name of the virtual node under test")
	watchTimeout = flag.Duration("watch-timeout", 2*time.Minute, "how long the suite waits for one condition")
	skips        skipList
)

// skipList is a repeatable -skip-test 'TestName=reason' flag.
type skipList map[string]string

func (s skipList) String() string { return fmt.Sprint(map[string]string(s)) }

func (s skipList) Set(v string) error {
	name, reason, ok := strings.Cut(v, "=")
	if !ok || name == "" || strings.TrimSpace(reason) == "" {
		return fmt.Errorf("-skip-test wants TestName=reason, got %q", v)
	}
	s[name] = reason
	return nil
}

func init() {
	skips = skipList{}
	flag.Var(skips, "skip-test", "TestName=reason: an upstream test not to run, and why (repeatable)")
}

func TestEndToEnd(t *testing.T) {
	if *namespace == "" || *nodeName == "" {
		t.Fatal("-namespace and -node-name are required")
	}
	suite := vke2e.NewEndToEndTestSuite(vke2e.EndToEndTestSuiteConfig{
		Kubeconfig:   *kubeconfig,
		Namespace:    *namespace,
		NodeName:     *nodeName,
		WatchTimeout: *watchTimeout,
		ShouldSkipTest: func(name string) bool {
			reason, skip := skips[name]
			if skip {
				fmt.Printf("SKIP-REASON %s: %s\n", name, reason)
			}
			return skip
		},
	})
	suite.Run(t)
}
