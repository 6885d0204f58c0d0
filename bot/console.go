package bot

import (
	"bufio"
	"context"
	"fmt"
	"html"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"planbot"
)

// Sessions runs one message's work in one transaction.
type Sessions interface {
	InSession(ctx context.Context, fn func(Store) error) error
}

// Console is the chat on a terminal: what a newcomer tries with no token,
// and what an admin uses on the server. It acts as one person, trusted
// because whoever runs it can read the database anyway.
type Console struct {
	Bot      *Bot
	Sessions Sessions
	Person   string         // person key
	UserID   planbot.UserID // one of the person's accounts, or a stand-in ("console:KEY")
	Now      func() time.Time
	// SaveDir is where the files the bot sends (the digest's picture, the
	// ledger) are saved, as a terminal cannot show them; "" only names
	// them.
	SaveDir string

	nextMessageID int
	keyboard      []Button // the last keyboard shown, numbered from 1
	keyboardMsg   int
}

// consoleChatID is the console's one chat: an address on a platform of its
// own, so it never names a chat anyone has elsewhere. Its replies are
// printed, never queued.
const consoleChatID planbot.ChatID = "console:1"

// Run reads lines until in ends or ctx is done, answering each.
func (con *Console) Run(ctx context.Context, in io.Reader, out io.Writer) error {
	if con.Now == nil {
		con.Now = time.Now
	}
	p, _ := con.Bot.Plan().Person(con.Person)
	fmt.Fprintf(out, "planbot 控制台 · 以 %s（%s）的身份对话。输入 /help 查看用法，数字选择按钮，Ctrl-D 退出。\n", p.Name, con.Person)
	lines := make(chan string)
	errs := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		errs <- sc.Err()
		close(lines)
	}()
	for {
		fmt.Fprint(out, "> ")
		var line string
		select {
		case <-ctx.Done():
			fmt.Fprintln(out)
			return nil
		case l, ok := <-lines:
			if !ok {
				fmt.Fprintln(out)
				return <-errs
			}
			line = l
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		if err := con.say(ctx, line, out); err != nil {
			return err
		}
	}
}

// Say handles one line as if typed; a bare number presses that button of
// the last keyboard.
func (con *Console) say(ctx context.Context, line string, out io.Writer) error {
	con.nextMessageID++
	m := Message{ChatID: consoleChatID, Chat: ChatPrivate, UserID: con.UserID, AsPerson: con.Person,
		MessageID: con.nextMessageID, Text: line, At: con.Now()}
	if n, err := strconv.Atoi(strings.TrimSpace(line)); err == nil && n >= 1 && n <= len(con.keyboard) {
		m.Text = ""
		m.Callback = &Callback{ID: "console", Data: con.keyboard[n-1].Data, MessageID: con.keyboardMsg}
	}
	var replies []Reply
	err := con.Sessions.InSession(ctx, func(s Store) error {
		var err error
		replies, err = con.Bot.Handle(ctx, s, m)
		return err
	})
	if err != nil {
		replies = Apology(m)
		fmt.Fprintf(out, "（错误：%v）\n", err)
	}
	for _, r := range replies {
		con.print(r, out)
	}
	return nil
}

func (con *Console) print(r Reply, out io.Writer) {
	for _, f := range []*File{r.Photo, r.Document} {
		if f != nil {
			con.printFile(f, out)
		}
	}
	if r.Text == "" && r.CallbackText != "" {
		fmt.Fprintf(out, "  〔%s〕\n", r.CallbackText)
		return
	}
	if r.Text == "" {
		return
	}
	con.nextMessageID++
	if r.EditMessageID != 0 {
		fmt.Fprintln(out, "（更新上一条）")
	}
	fmt.Fprintln(out, PlainText(r.Text))
	if len(r.Keyboard) > 0 {
		con.keyboard = nil
		con.keyboardMsg = con.nextMessageID
		var row []string
		for _, line := range r.Keyboard {
			row = row[:0]
			for _, b := range line {
				con.keyboard = append(con.keyboard, b)
				row = append(row, fmt.Sprintf("[%d] %s", len(con.keyboard), b.Text))
			}
			fmt.Fprintln(out, "  "+strings.Join(row, "  "))
		}
	}
}

// printFile shows a file the bot sends: its caption, and where it was
// saved.
func (con *Console) printFile(f *File, out io.Writer) {
	if f.Caption != "" {
		fmt.Fprintln(out, PlainText(f.Caption))
	}
	what := fmt.Sprintf("文件 %s，%d KB", f.Name, (len(f.Data)+1023)/1024)
	if con.SaveDir == "" {
		fmt.Fprintf(out, "  〔%s〕\n", what)
		return
	}
	path := filepath.Join(con.SaveDir, filepath.Base(f.Name))
	if err := os.WriteFile(path, f.Data, 0o644); err != nil {
		fmt.Fprintf(out, "  〔%s，未能保存：%v〕\n", what, err)
		return
	}
	fmt.Fprintf(out, "  〔%s，已存为 %s〕\n", what, path)
}

var tagPattern = regexp.MustCompile(`<[^>]*>`)

// PlainText turns the bot's HTML into terminal text.
func PlainText(s string) string {
	s = strings.NewReplacer("\u2068", "", "\u2069", "").Replace(s) // isolates: invisible on phones, noise in a terminal
	return html.UnescapeString(tagPattern.ReplaceAllString(s, ""))
}
