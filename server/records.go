package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

var (
	// errNoChange, returned by an update's function, ends the update
	// without writing.
	errNoChange = errors.New("no change")
	// errNotFound reports a job ID with no record.
	errNotFound = errors.New("no such job")
	// errTooLarge reports a record over the NATS message size limit.
	errTooLarge = errors.New("job record exceeds the store's message size limit")
)

// get returns a job's record and its revision, or errNotFound.
func (st *store) get(ctx context.Context, id string) (*record, uint64, error) {
	e, err := st.jobs.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, errNotFound
	}
	if err != nil {
		return nil, 0, err
	}
	r := new(record)
	if err := json.Unmarshal(e.Value(), r); err != nil {
		return nil, 0, fmt.Errorf("job %s: corrupt record: %v", id, err)
	}
	return r, e.Revision(), nil
}

func (st *store) encode(r *record) ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > st.nc.MaxPayload()-1024 { // room for the KV headers
		return nil, errTooLarge
	}
	return b, nil
}

// create writes a new record; jetstream.ErrKeyExists if the ID is taken.
func (st *store) create(ctx context.Context, r *record) error {
	b, err := st.encode(r)
	if err != nil {
		return err
	}
	_, err = st.jobs.Create(ctx, r.ID, b)
	return err
}

// update applies fn to the current record of job id and writes it back by
// compare-and-swap, starting over with a fresh read when another writer
// got there first. fn receives nil when there is no record. If fn returns
// an error (errNoChange to simply not write), nothing is written and
// update returns the record as fn left it with that error.
func (st *store) update(ctx context.Context, id string, fn func(r *record) error) (*record, error) {
	r, _, err := st.updateFrom(ctx, id, nil, 0, fn)
	return r, err
}

// updateFrom is update starting from a copy of cur, the record as the
// caller last wrote or read it at revision rev, which saves a read while
// nobody else has changed it. It also returns the new revision.
func (st *store) updateFrom(ctx context.Context, id string, cur *record, rev uint64, fn func(r *record) error) (*record, uint64, error) {
	for {
		var r *record
		if cur != nil {
			c := *cur
			r, cur = &c, nil
		} else {
			var err error
			r, rev, err = st.get(ctx, id)
			if err != nil && !errors.Is(err, errNotFound) {
				return nil, 0, err
			}
		}
		if err := fn(r); err != nil {
			return r, rev, err
		}
		if r == nil {
			return nil, 0, errNotFound
		}
		b, err := st.encode(r)
		if err != nil {
			return r, rev, err
		}
		next, err := st.jobs.Update(ctx, id, b, rev)
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			continue
		}
		return r, next, err
	}
}

// enqueue publishes the queue message for the record's current ticket. The
// message ID makes a repeat of the same enqueue (a resubmission after a
// crash, two racing retry-now requests) a no-op within the dedupe window.
func (st *store) enqueue(ctx context.Context, r *record) error {
	body, _ := json.Marshal(ticket{ID: r.ID, Ticket: r.Ticket})
	msg := &nats.Msg{Subject: jobSubject(r.Mode, r.Priority), Data: body}
	_, err := st.js.PublishMsg(ctx, msg, jetstream.WithMsgID(r.ID+"."+strconv.FormatUint(r.Ticket, 10)))
	return err
}

// wake tells the lanes of r's mode that a job of r's priority is waiting.
// Callers send it once both the message and the record are written, so a
// lane that wakes finds both.
func (st *store) wake(r *record) {
	st.nc.Publish(wakeSubject(r.Mode, r.Priority), nil)
}

// updateEnqueue is update for a change that bumps the ticket of a waiting
// job: it publishes the new ticket's message before writing the record,
// for the reason submit gives, and only once per ticket however often the
// compare-and-swap starts over. A concurrent change that bumps to the same ticket publishes
// the same message ID, so JetStream keeps one.
func (st *store) updateEnqueue(ctx context.Context, id string, fn func(r *record) error) (*record, error) {
	published := uint64(0)
	r, err := st.update(ctx, id, func(r *record) error {
		if err := fn(r); err != nil {
			return err
		}
		if r.State.waiting() && r.Ticket != published {
			if err := st.enqueue(ctx, r); err != nil {
				return err
			}
			published = r.Ticket
		}
		return nil
	})
	if err == nil && published != 0 {
		st.wake(r)
	}
	return r, err
}
