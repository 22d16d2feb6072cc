package server

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Every node — server or worker — announces itself in the nodes bucket
// every nodeHeartbeat; the bucket's TTL forgets a node that stopped
// announcing, which is how GET /workers shows only live ones.
const (
	nodeHeartbeat = 5 * time.Second
	nodeTTL       = 3 * nodeHeartbeat
)

// NodeInfo describes a live node, as GET /workers lists them.
type NodeInfo struct {
	Node      string            `json:"node"`
	Host      string            `json:"host"`
	PID       int               `json:"pid"`
	API       string            `json:"api,omitempty"` // the HTTP address of a server node
	State     string            `json:"state"`         // "running", or "draining" during shutdown
	StartedAt time.Time         `json:"started_at"`
	SeenAt    time.Time         `json:"seen_at"`
	Modes     map[Mode]LaneInfo `json:"modes"` // the modes this node takes jobs of
}

// LaneInfo is a node's capacity for one mode.
type LaneInfo struct {
	Slots   int `json:"slots"`
	Running int `json:"running"`
}

// announcer keeps this node's entry in the nodes bucket current.
type announcer struct {
	kv    jetstream.KeyValue
	key   string
	lanes []*lane

	mu   sync.Mutex
	info NodeInfo
}

func newAnnouncer(kv jetstream.KeyValue, cfg *Config, apiAddr string, lanes []*lane) *announcer {
	host, _ := os.Hostname()
	return &announcer{
		kv:    kv,
		key:   nodeKey(cfg.Node),
		lanes: lanes,
		info: NodeInfo{
			Node:      cfg.Node,
			Host:      host,
			PID:       os.Getpid(),
			API:       apiAddr,
			State:     "running",
			StartedAt: time.Now().UTC(),
		},
	}
}

// nodeKey maps a node name onto the characters a KV key allows.
func nodeKey(name string) string {
	return strings.Map(func(r rune) rune {
		if r < 128 && (r == '-' || r == '_' || r == '=' || r == '.' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return r
		}
		return '_'
	}, name)
}

// run announces until ctx is done, then removes the entry.
func (a *announcer) run(ctx context.Context) {
	t := time.NewTicker(nodeHeartbeat)
	defer t.Stop()
	for {
		a.announce(ctx)
		select {
		case <-ctx.Done():
			dctx, cancel := context.WithTimeout(context.Background(), time.Second)
			a.kv.Delete(dctx, a.key)
			cancel()
			return
		case <-t.C:
		}
	}
}

// draining marks the node as shutting down, at once.
func (a *announcer) draining(ctx context.Context) {
	a.mu.Lock()
	a.info.State = "draining"
	a.mu.Unlock()
	a.announce(ctx)
}

func (a *announcer) announce(ctx context.Context) {
	a.mu.Lock()
	info := a.info
	a.mu.Unlock()
	info.SeenAt = time.Now().UTC()
	info.Modes = make(map[Mode]LaneInfo, len(a.lanes))
	for _, l := range a.lanes {
		info.Modes[l.mode] = LaneInfo{Slots: l.slots, Running: int(l.running.Load())}
	}
	b, _ := json.Marshal(info)
	a.kv.Put(ctx, a.key, b)
}

// listNodes reads the live nodes, sorted by name.
func listNodes(ctx context.Context, kv jetstream.KeyValue) ([]NodeInfo, error) {
	lister, err := kv.ListKeys(ctx)
	if err != nil {
		return nil, err
	}
	nodes := []NodeInfo{}
	for key := range lister.Keys() {
		e, err := kv.Get(ctx, key)
		if err != nil {
			continue // expired meanwhile
		}
		var n NodeInfo
		if json.Unmarshal(e.Value(), &n) == nil {
			nodes = append(nodes, n)
		}
	}
	slices.SortFunc(nodes, func(a, b NodeInfo) int { return strings.Compare(a.Node, b.Node) })
	return nodes, nil
}
