package storage

import (
	"context"
	"testing"

	"planbot"
)

// A question answered (deleted) must not lend its id to the next: a button
// still on the old message would answer the new question.
func TestPendingIDNeverReused(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	var first, second int64
	err := db.InSession(ctx, func(s planbot.Tx) error {
		var err error
		if first, err = s.SavePending(ctx, planbot.Pending{ChatID: tgChat(2001), UserID: tgUser(2001), Kind: "confirm"}); err != nil {
			return err
		}
		if err := s.DeletePending(ctx, first); err != nil {
			return err
		}
		second, err = s.SavePending(ctx, planbot.Pending{ChatID: tgChat(2001), UserID: tgUser(2001), Kind: "confirm"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if second == first {
		t.Fatalf("the new question got the answered one's id %d", first)
	}
	if _, ok, err := db.LoadPending(ctx, first); err != nil || ok {
		t.Errorf("the answered question's id still loads a question: ok=%v err=%v", ok, err)
	}
}
