package server

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// laggingConsumer answers some fetches with nothing, as JetStream does
// when it has stored a message but not yet offered it to the consumer.
type laggingConsumer struct {
	jetstream.Consumer
	empty atomic.Int32 // fetches still to come back empty
}

func (c *laggingConsumer) FetchNoWait(n int) (jetstream.MessageBatch, error) {
	if c.empty.Add(-1) >= 0 {
		return noMessages{}, nil
	}
	return c.Consumer.FetchNoWait(n)
}

type noMessages struct{}

func (noMessages) Messages() <-chan jetstream.Msg {
	ch := make(chan jetstream.Msg)
	close(ch)
	return ch
}

func (noMessages) Error() error { return nil }

// A wake can reach a lane before the consumer is offered the message it
// announces. The lane looks again instead of leaving the job to the next
// poll, which this test puts an hour away: only a recheck can run the job.
func TestWakeBeforeItsMessageIsOffered(t *testing.T) {
	// Not parallel: it lengthens pollInterval for the server it starts,
	// and puts it back once that server has stopped (cleanups run last
	// first).
	old := pollInterval
	t.Cleanup(func() { pollInterval = old })
	pollInterval = time.Hour
	s, err := New(testConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	lag := &laggingConsumer{Consumer: s.st.consumers[Thread][Normal]}
	s.st.consumers[Thread][Normal] = lag
	c := runServer(t, s)
	for _, empty := range []int32{1, 2, 3} {
		lag.empty.Store(empty)
		j := submit(t, c, noop)
		if j = waitJob(t, c, j.ID); j.State != Succeeded {
			t.Fatalf("a job whose first %d fetches found nothing: %s", empty, j.State)
		}
	}
}
