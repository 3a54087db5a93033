// Command pulumi-resource-command is fireworker-images' own stand-in for the
// `command` resource provider (github.com/pulumi/pulumi-command), whose Go module
// the Go module proxy this project can reach does not serve.
//
// It implements the one resource this project uses, command:local:Command, with the
// behaviour of pulumi-command 1.x:
//   - create runs `create` (preview runs nothing; stdout and stderr are unknown);
//   - a change of `triggers` replaces the resource, any other input change is an
//     update that runs `update`, or `create` again when `update` is unset;
//   - delete runs `delete`, if any;
//   - the command runs as `/bin/sh -c <command>` (or `interpreter`), in `dir` (default:
//     the program's folder), with the engine's environment plus `environment`, `stdin`
//     on its standard input, and the previous stdout/stderr as PULUMI_COMMAND_STDOUT /
//     PULUMI_COMMAND_STDERR unless `addPreviousOutputInEnv` is false;
//   - `stdout` and `stderr` are the outputs (one trailing newline trimmed); `logging`
//     (stdout | stderr | stdoutAndStderr | none, default stdoutAndStderr) picks what is
//     shown in the engine's output while the command runs;
//   - a non-zero exit fails the step with the command's output in the error.
//
// It also implements the function command:local:run as pulumi-command 1.x does: `command`
// runs at every invoke, preview included, with the same `dir`, `environment`,
// `interpreter`, `stdin` and `logging`; the answer is the inputs plus `stdout` and
// `stderr`; a non-zero exit fails the invoke with the command's output in the error.
//
// Not implemented (an error says so): assetPaths, archivePaths and the
// command:remote:* resources.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"fireworker-images/tools/engine/internal/enginewatch"
)

// providerVersion is set with -ldflags "-X main.providerVersion=..." to the plugin version @pulumi/command asks for.
var providerVersion = "1.2.1"

const commandType = "command:local:Command"

// runToken is the function that runs a command at every invoke.
const runToken = "command:local:run"

type provider struct {
	pulumirpc.UnimplementedResourceProviderServer

	mu     sync.Mutex
	engine pulumirpc.EngineClient

	ctx    context.Context
	cancel context.CancelFunc
}

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	p := &provider{ctx: ctx, cancel: cancel}
	// Started as `pulumi-resource-command <engine address>`.
	for _, a := range os.Args[1:] {
		if !strings.HasPrefix(a, "-") {
			p.connect(a)
			enginewatch.Watch("pulumi-resource-command", a)
		}
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterResourceProviderServer(srv, p)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-command: could not start the gRPC server: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-command: gRPC server stopped: %v\n", err)
		os.Exit(1)
	}
}

func (p *provider) connect(addr string) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		rpcutil.GrpcChannelOptions())
	if err != nil {
		return // logging to the engine is best effort
	}
	p.mu.Lock()
	p.engine = pulumirpc.NewEngineClient(conn)
	p.mu.Unlock()
}

func (p *provider) log(urn, msg string) {
	p.mu.Lock()
	engine := p.engine
	p.mu.Unlock()
	if engine == nil {
		fmt.Fprintln(os.Stderr, msg)
		return
	}
	_, _ = engine.Log(p.ctx, &pulumirpc.LogRequest{Severity: pulumirpc.LogSeverity_INFO, Message: msg, Urn: urn})
}

// ------------------------------------------------------- plugin plumbing ----

func (p *provider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: providerVersion}, nil
}

func (p *provider) Handshake(
	_ context.Context, req *pulumirpc.ProviderHandshakeRequest,
) (*pulumirpc.ProviderHandshakeResponse, error) {
	if req.GetEngineAddress() != "" {
		p.connect(req.GetEngineAddress())
	}
	return &pulumirpc.ProviderHandshakeResponse{
		AcceptSecrets: false, AcceptResources: true, AcceptOutputs: false,
	}, nil
}

func (p *provider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: fmt.Sprintf(`{"name":"command","version":%q}`, providerVersion)}, nil
}

func (p *provider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *provider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (p *provider) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	// Secrets are not accepted: the engine hands us plain values and marks the outputs
	// secret again where the inputs of the same name were.
	return &pulumirpc.ConfigureResponse{AcceptSecrets: false, SupportsPreview: true, AcceptResources: true}, nil
}

func (p *provider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	p.cancel()
	return &emptypb.Empty{}, nil
}

// ------------------------------------------------------------ properties ----

var opts = plugin.MarshalOptions{KeepUnknowns: true, SkipNulls: true}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	if s == nil {
		return resource.PropertyMap{}, nil
	}
	return plugin.UnmarshalProperties(s, opts)
}

func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, opts)
}

func checkType(t, urn string) error {
	if t == "" && urn != "" {
		t = string(resource.URN(urn).Type())
	}
	if t != commandType {
		return status.Errorf(codes.Unimplemented,
			"%s is not implemented by this pulumi-resource-command (fireworker-images stand-in: "+
				"only %s)", t, commandType)
	}
	return nil
}

var inputKeys = []resource.PropertyKey{
	"create", "update", "delete", "triggers", "environment", "dir", "interpreter", "stdin",
	"logging", "addPreviousOutputInEnv", "assetPaths", "archivePaths",
}

// inputsOf keeps only the input properties of a state.
func inputsOf(m resource.PropertyMap) resource.PropertyMap {
	in := resource.PropertyMap{}
	for _, k := range inputKeys {
		if v, ok := m[k]; ok {
			in[k] = v
		}
	}
	return in
}

// --------------------------------------------------------------- functions ----

var runInputKeys = []resource.PropertyKey{
	"command", "dir", "environment", "interpreter", "stdin", "logging", "addPreviousOutputInEnv",
	"assetPaths", "archivePaths",
}

// Invoke runs command:local:run: the command runs now, preview or not.
func (p *provider) Invoke(ctx context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	if req.GetTok() != runToken {
		return nil, status.Errorf(codes.Unimplemented,
			"%s is not implemented by this pulumi-resource-command (fireworker-images stand-in: only %s)",
			req.GetTok(), runToken)
	}
	args, err := unmarshal(req.GetArgs())
	if err != nil {
		return nil, err
	}
	known := map[resource.PropertyKey]bool{}
	for _, k := range runInputKeys {
		known[k] = true
	}
	var failures []*pulumirpc.CheckFailure
	for _, k := range args.StableKeys() {
		v := args[k]
		switch {
		case !known[k]:
			failures = append(failures, &pulumirpc.CheckFailure{Property: string(k),
				Reason: fmt.Sprintf("%s is not an input of %s", k, runToken)})
		case (k == "assetPaths" || k == "archivePaths") && !v.IsNull():
			failures = append(failures, &pulumirpc.CheckFailure{Property: string(k),
				Reason: string(k) + " is not supported by this pulumi-resource-command (fireworker-images stand-in)"})
		}
	}
	if len(failures) > 0 {
		return &pulumirpc.InvokeResponse{Failures: failures}, nil
	}
	cmdv, ok := args["command"]
	if !ok || !cmdv.IsString() {
		return nil, fmt.Errorf("%s: command must be a string", runToken)
	}
	stdout, stderr, err := p.run(ctx, "", cmdv.StringValue(), args, nil)
	if err != nil {
		return nil, err
	}
	answer := args.Copy()
	answer["stdout"], answer["stderr"] = resource.NewProperty(stdout), resource.NewProperty(stderr)
	ret, err := marshal(answer)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.InvokeResponse{Return: ret}, nil
}

// ------------------------------------------------------------------- CRUD ----

func (p *provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	if err := checkType(req.GetType(), req.GetUrn()); err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	var failures []*pulumirpc.CheckFailure
	known := map[resource.PropertyKey]bool{}
	for _, k := range inputKeys {
		known[k] = true
	}
	for k, v := range news {
		switch {
		case !known[k]:
			failures = append(failures, &pulumirpc.CheckFailure{Property: string(k),
				Reason: fmt.Sprintf("%s is not an input of %s", k, commandType)})
		case (k == "assetPaths" || k == "archivePaths") && !v.IsNull():
			failures = append(failures, &pulumirpc.CheckFailure{Property: string(k),
				Reason: string(k) + " is not supported by this pulumi-resource-command (fireworker-images stand-in)"})
		case k == "logging" && v.IsString():
			switch v.StringValue() {
			case "stdout", "stderr", "stdoutAndStderr", "none":
			default:
				failures = append(failures, &pulumirpc.CheckFailure{Property: "logging",
					Reason: "logging must be one of stdout, stderr, stdoutAndStderr, none"})
			}
		}
	}
	sort.Slice(failures, func(i, j int) bool { return failures[i].Property < failures[j].Property })
	return &pulumirpc.CheckResponse{Inputs: req.GetNews(), Failures: failures}, nil
}

func (p *provider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	if err := checkType(req.GetType(), req.GetUrn()); err != nil {
		return nil, err
	}
	var olds resource.PropertyMap
	var err error
	if req.GetOldInputs() != nil {
		olds, err = unmarshal(req.GetOldInputs())
	} else {
		var state resource.PropertyMap
		state, err = unmarshal(req.GetOlds())
		olds = inputsOf(state)
	}
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	ignore := map[string]bool{}
	for _, k := range req.GetIgnoreChanges() {
		ignore[k] = true
	}
	resp := &pulumirpc.DiffResponse{HasDetailedDiff: true, DetailedDiff: map[string]*pulumirpc.PropertyDiff{}}
	keys := map[resource.PropertyKey]bool{}
	for k := range olds {
		keys[k] = true
	}
	for k := range news {
		keys[k] = true
	}
	for k := range keys {
		if ignore[string(k)] {
			continue
		}
		o, inOld := olds[k]
		n, inNew := news[k]
		if inOld && inNew && !n.ContainsUnknowns() && o.DeepEquals(n) {
			continue
		}
		if inOld && inNew && o.IsNull() && n.IsNull() {
			continue
		}
		kind := pulumirpc.PropertyDiff_UPDATE
		switch {
		case !inOld:
			kind = pulumirpc.PropertyDiff_ADD
		case !inNew:
			kind = pulumirpc.PropertyDiff_DELETE
		}
		if k == "triggers" {
			kind += pulumirpc.PropertyDiff_ADD_REPLACE - pulumirpc.PropertyDiff_ADD
			resp.Replaces = append(resp.Replaces, string(k))
		}
		resp.Diffs = append(resp.Diffs, string(k))
		resp.DetailedDiff[string(k)] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
	}
	sort.Strings(resp.Diffs)
	if len(resp.Diffs) > 0 {
		resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
	} else {
		resp.Changes = pulumirpc.DiffResponse_DIFF_NONE
	}
	return resp, nil
}

func (p *provider) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	if err := checkType(req.GetType(), req.GetUrn()); err != nil {
		return nil, err
	}
	inputs, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	name := req.GetName()
	if name == "" {
		name = resource.URN(req.GetUrn()).Name()
	}
	id, err := resource.NewUniqueHex(name, 8, 0)
	if err != nil {
		return nil, err
	}
	state, err := p.apply(ctx, req.GetUrn(), inputs, nil, "create", req.GetPreview())
	if err != nil {
		return nil, err
	}
	props, err := marshal(state)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, nil
}

func (p *provider) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	if err := checkType(req.GetType(), req.GetUrn()); err != nil {
		return nil, err
	}
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	which := "update"
	if v, ok := news["update"]; !ok || v.IsNull() {
		which = "create"
	}
	state, err := p.apply(ctx, req.GetUrn(), news, olds, which, req.GetPreview())
	if err != nil {
		return nil, err
	}
	props, err := marshal(state)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: props}, nil
}

func (p *provider) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	if err := checkType(req.GetType(), req.GetUrn()); err != nil {
		return nil, err
	}
	state, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	if _, err := p.apply(ctx, req.GetUrn(), inputsOf(state), state, "delete", false); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

func (p *provider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	if err := checkType(req.GetType(), req.GetUrn()); err != nil {
		return nil, err
	}
	// A command has nothing to look up: what was recorded stays.
	inputs := req.GetInputs()
	if inputs == nil {
		state, err := unmarshal(req.GetProperties())
		if err != nil {
			return nil, err
		}
		if inputs, err = marshal(inputsOf(state)); err != nil {
			return nil, err
		}
	}
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: inputs}, nil
}

// ---------------------------------------------------------------- running ----

// apply runs inputs[which] (if set and not a preview) and returns the new state: the
// inputs plus stdout and stderr. prev is the previous state (update, delete) or nil.
func (p *provider) apply(
	ctx context.Context, urn string, inputs, prev resource.PropertyMap, which string, preview bool,
) (resource.PropertyMap, error) {
	state := inputs.Copy()
	unknown := resource.MakeComputed(resource.NewProperty(""))
	if preview {
		state["stdout"], state["stderr"] = unknown, unknown
		return state, nil
	}
	state["stdout"], state["stderr"] = resource.NewProperty(""), resource.NewProperty("")
	cmdv, ok := inputs[resource.PropertyKey(which)]
	if !ok || cmdv.IsNull() {
		if prev != nil && which != "delete" { // update without a command keeps the old outputs
			for _, k := range []resource.PropertyKey{"stdout", "stderr"} {
				if v, ok := prev[k]; ok {
					state[k] = v
				}
			}
		}
		return state, nil
	}
	if !cmdv.IsString() {
		return nil, fmt.Errorf("%s must be a string", which)
	}
	stdout, stderr, err := p.run(ctx, urn, cmdv.StringValue(), inputs, prev)
	if err != nil {
		return nil, err
	}
	state["stdout"], state["stderr"] = resource.NewProperty(stdout), resource.NewProperty(stderr)
	return state, nil
}

func str(m resource.PropertyMap, k resource.PropertyKey) (string, bool) {
	if v, ok := m[k]; ok && v.IsString() {
		return v.StringValue(), true
	}
	return "", false
}

func (p *provider) run(
	ctx context.Context, urn, command string, in, prev resource.PropertyMap,
) (string, string, error) {
	argv := []string{"/bin/sh", "-c"}
	if v, ok := in["interpreter"]; ok && v.IsArray() && len(v.ArrayValue()) > 0 {
		argv = nil
		for _, e := range v.ArrayValue() {
			if !e.IsString() {
				return "", "", errors.New("interpreter must be a list of strings")
			}
			argv = append(argv, e.StringValue())
		}
	}
	argv = append(argv, command)

	ctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		select {
		case <-p.ctx.Done(): // Cancel from the engine
			stop()
		case <-ctx.Done():
		}
	}()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	if dir, ok := str(in, "dir"); ok && dir != "" {
		cmd.Dir = dir
	}
	cmd.Env = os.Environ()
	if v, ok := in["environment"]; ok && v.IsObject() {
		env := v.ObjectValue()
		for _, k := range env.StableKeys() {
			if e := env[k]; e.IsString() {
				cmd.Env = append(cmd.Env, string(k)+"="+e.StringValue())
			}
		}
	}
	if v, ok := in["addPreviousOutputInEnv"]; (!ok || !v.IsBool() || v.BoolValue()) && prev != nil {
		if s, ok := str(prev, "stdout"); ok && s != "" {
			cmd.Env = append(cmd.Env, "PULUMI_COMMAND_STDOUT="+s)
		}
		if s, ok := str(prev, "stderr"); ok && s != "" {
			cmd.Env = append(cmd.Env, "PULUMI_COMMAND_STDERR="+s)
		}
	}
	if s, ok := str(in, "stdin"); ok && s != "" {
		cmd.Stdin = strings.NewReader(s)
	}
	logging, _ := str(in, "logging")
	if logging == "" {
		logging = "stdoutAndStderr"
	}

	var stdout, stderr, both bytes.Buffer
	var bothMu sync.Mutex
	var wg sync.WaitGroup
	pipe := func(buf *bytes.Buffer, show bool) (io.WriteCloser, error) {
		r, w := io.Pipe()
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := bufio.NewScanner(r)
			sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
			for sc.Scan() {
				line := sc.Text()
				buf.WriteString(line + "\n")
				bothMu.Lock()
				both.WriteString(line + "\n")
				bothMu.Unlock()
				if show {
					p.log(urn, line)
				}
			}
			_, _ = io.Copy(io.Discard, r)
		}()
		return w, nil
	}
	outw, _ := pipe(&stdout, logging == "stdout" || logging == "stdoutAndStderr")
	errw, _ := pipe(&stderr, logging == "stderr" || logging == "stdoutAndStderr")
	cmd.Stdout, cmd.Stderr = outw, errw
	err := cmd.Run()
	_ = outw.Close()
	_ = errw.Close()
	wg.Wait()
	if err != nil {
		return "", "", fmt.Errorf("%w: running %q:\n%s", err, command, both.String())
	}
	return strings.TrimSuffix(stdout.String(), "\n"), strings.TrimSuffix(stderr.String(), "\n"), nil
}
