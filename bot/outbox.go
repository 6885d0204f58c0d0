package bot

import (
	"context"

	"planbot"
)

// ToOutbox turns replies into outbox rows, in the domain's terms: the
// platform's adapter draws the buttons and uploads the files. A long text
// stays one row here: the outbox splits it under its chat's platform's
// limit when it is queued (planbot.Enqueuer).
func ToOutbox(replies []Reply) []planbot.OutboxMessage {
	var out []planbot.OutboxMessage
	for _, r := range replies {
		out = appendOutbox(out, r)
	}
	return out
}

// appendOutbox appends the rows of one reply: a press's answer alone, or
// the file then the text, so a picture comes before the words about it.
func appendOutbox(out []planbot.OutboxMessage, r Reply) []planbot.OutboxMessage {
	priority := planbot.PriorityReply
	if r.Refusal {
		priority = planbot.PriorityRefusal
	}
	switch {
	case r.CallbackID != "":
		return append(out, planbot.OutboxMessage{Method: planbot.MethodAnswer, PressID: r.CallbackID,
			Text: r.CallbackText, ChatID: r.ChatID, Priority: priority})
	case r.Photo != nil || r.Document != nil:
		m := planbot.OutboxMessage{ChatID: r.ChatID, Priority: priority}
		f := r.Photo
		if f != nil {
			m.Attachment = planbot.AttachPicture
		} else {
			f = r.Document
			m.Attachment = planbot.AttachFile
		}
		m.FileName, m.FileData, m.Text = f.Name, f.Data, f.Caption
		out = append(out, m)
	}
	if r.Text == "" {
		return out
	}
	m := planbot.OutboxMessage{ChatID: r.ChatID, Text: r.Text, Priority: priority}
	if len(r.Keyboard) > 0 {
		// nil, not an empty keyboard, is "no buttons" in the outbox.
		m.Buttons = r.Keyboard
	}
	if r.EditMessageID != 0 {
		m.Method, m.EditMessageID = planbot.MethodEdit, r.EditMessageID
	}
	return append(out, m)
}

// Serve answers one message as outbox rows: what a platform's adapter
// queues in the transaction that records the message as handled. Its error
// is Handle's: the adapter rolls back and queues ApologyFor(m) instead.
func (b *Bot) Serve(ctx context.Context, s Store, m Message) ([]planbot.OutboxMessage, error) {
	replies, err := b.Handle(ctx, s, m)
	if err != nil {
		return nil, err
	}
	return ToOutbox(replies), nil
}

// ApologyFor is Apology(m) as outbox rows, for an adapter whose handling
// of m failed. A method, so that the adapter needs only its Conversation.
func (b *Bot) ApologyFor(m Message) []planbot.OutboxMessage {
	return ToOutbox(Apology(m))
}
