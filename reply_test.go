package planbot

import "testing"

// The keyboard JSON is the form the Bot API library wrote before the
// scheduler and the conversation shared one encoder.
func TestInlineKeyboardJSON(t *testing.T) {
	k := Keyboard{{{Text: "确认", Data: "p:7:ok"}, {Text: "<改>", Data: "p:7:edit"}}, {{Text: "取消", Data: ""}}}
	want := `{"inline_keyboard":[[{"text":"确认","callback_data":"p:7:ok"},{"text":"\u003c改\u003e","callback_data":"p:7:edit"}],[{"text":"取消","callback_data":""}]]}`
	if got := InlineKeyboardJSON(k); got != want {
		t.Errorf("InlineKeyboardJSON =\n%s\nwant\n%s", got, want)
	}
	if got := InlineKeyboardJSON(nil); got != "" {
		t.Errorf("no buttons: %q, want none", got)
	}
	col := InlineKeyboardJSON(Column([]Button{{"a", "r:1"}, {"b", "r:2"}}))
	if want := `{"inline_keyboard":[[{"text":"a","callback_data":"r:1"}],[{"text":"b","callback_data":"r:2"}]]}`; col != want {
		t.Errorf("Column = %s, want %s", col, want)
	}
}

func TestClipAndClipLine(t *testing.T) {
	s := "第一行\n第二行很长很长"
	if got := Clip(s, 6); got != "第一行\n第…" {
		t.Errorf("Clip = %q, want the line break kept", got)
	}
	if got := ClipLine(s, 6); got != "第一行 第…" {
		t.Errorf("ClipLine = %q, want the line break folded", got)
	}
	if got := ClipLine("短\xff", 6); got != "短\uFFFD" {
		t.Errorf("ClipLine = %q, want invalid UTF-8 replaced", got)
	}
}

func TestReportButtonData(t *testing.T) {
	if d, ok := ReportButtonData("2.3"); !ok || d != "r:2.3" {
		t.Errorf("ReportButtonData(2.3) = %q, %v", d, ok)
	}
	long := string(make([]byte, MaxButtonData))
	if _, ok := ReportButtonData(long); ok {
		t.Error("a code too long for a button was accepted")
	}
}

func TestSplitOutboxEditFirstKeyboardLast(t *testing.T) {
	line := "一行字，足够长，要拆成几条消息。\n"
	text := ""
	for len(text) < 3*MaxMessageLen*3 {
		text += line
	}
	rows := SplitOutbox(OutboxMessage{ChatID: 5, Text: text, ParseMode: "HTML", Priority: PriorityReply,
		Method: MethodEdit, EditMessageID: 9, ReplyMarkup: `{"inline_keyboard":[]}`})
	if len(rows) < 2 {
		t.Fatalf("%d rows, want the text split", len(rows))
	}
	for i, m := range rows {
		edit := m.Method == MethodEdit && m.EditMessageID == 9
		if edit != (i == 0) || (m.ReplyMarkup != "") != (i == len(rows)-1) {
			t.Errorf("row %d: method %q edit %d markup %q", i, m.Method, m.EditMessageID, m.ReplyMarkup)
		}
		if m.ChatID != 5 || m.ParseMode != "HTML" || m.Priority != PriorityReply {
			t.Errorf("row %d lost its chat, parse mode or priority: %+v", i, m)
		}
	}
}
