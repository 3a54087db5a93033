// Package enginewatch ends a plugin stand-in together with the engine that started it.
package enginewatch

import (
	"context"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
)

// healthInterval is how often a stand-in asks the engine that started it whether it is still
// there (upstream plugins ask every 5 minutes, with rpcutil.Healthcheck too).
const healthInterval = 2 * time.Second

// Watch ends this process, and what it started, once the engine at addr stops answering (a
// `pulumi up` killed with SIGKILL), instead of outliving it. The engine starts each plugin as the
// leader of a process group of its own, so the whole group goes. name prefixes its lines.
func Watch(name, addr string) {
	ctx, gone := context.WithCancel(context.Background())
	if err := rpcutil.Healthcheck(ctx, addr, healthInterval, gone); err != nil {
		fmt.Fprintf(os.Stderr, "%s: cannot watch the engine at %s: %v\n", name, addr, err)
		return
	}
	go func() {
		<-ctx.Done()
		fmt.Fprintf(os.Stderr, "%s: the engine at %s is gone; exiting\n", name, addr)
		if syscall.Getpgrp() == os.Getpid() {
			_ = syscall.Kill(-os.Getpid(), syscall.SIGKILL)
		}
		os.Exit(1)
	}()
}
