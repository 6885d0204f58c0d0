// Package intake reads what a cadre writes: a short Chinese message (or the
// arguments of /report and /value) plus the plan in, an Intent out. It is
// pure: no I/O, no clock (today is passed in), no state beyond a cache of
// the plan's word index.
//
// How a message is read, in order:
//
//  1. Normalise: full-width ASCII (２.３、６０％、：) folds to ASCII, keeping
//     a map back to the original bytes so the note is cut from the text as
//     written.
//  2. Tokens, left to right, never overlapping: indicator names and aliases
//     (longest first); @dates (@3月15日, @3.15, @2027-03-15, @昨天) and
//     "3月15日报"; item codes (an exact match of an existing code, not
//     followed by a unit: "3.2亿" is money, "@3.15" a date); figures (a
//     number with the longest unit planbot.ParseAmount accepts: 60%, 六成,
//     百分之六十, 15万只, 3.2亿, bare 2100); done marks (完成, 已完成,
//     全部完成, done, ✅ — standing alone, not followed by a figure and not
//     negated). A figure takes the keyword before it (进度, 完成率, 累计完成,
//     完成 …): "进度60" is 60%, "投放完成15万只" is an amount, not done.
//  3. The target, strongest evidence first: an item code at the start of the
//     message or marked (第2.3项, 事项2.3, 2.3号, 【2.3】) — unless it is the
//     only number and an indicator is named ("3.2 固投" is 3.2亿元); an
//     indicator name or alias — unless every amount is in a unit the
//     indicator cannot take and the words fit an item ("蟹苗出口10万只");
//     an item code elsewhere; a fuzzy match of the words against item titles
//     and descriptions and indicator names (see wordIndex); the sender's own
//     items when the message carries a figure but names nothing. A
//     code-shaped first word that is no item's code ("2.30") stops there:
//     a mistyped code is never guessed.
//  4. The figures are read for that target: a percentage is progress; an
//     amount counts for an item only in the unit of the item's target (other
//     amounts stay in the note), and for an indicator it is read in the
//     indicator's unit (a bare number is in that unit).
//  5. Note is what is left: the original text minus the code, name, figures
//     with their keywords, date, done mark and (for a fuzzy match) the phrase
//     that named the item.

package intake

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"planbot"
)

// IntentKind is what a message was understood to be.
type IntentKind string

const (
	IntentItemReport     IntentKind = "item_report"     // progress on one item
	IntentIndicatorValue IntentKind = "indicator_value" // a figure for an indicator
	IntentAmbiguous      IntentKind = "ambiguous"       // several items/indicators fit: ask with a keyboard
	IntentUnknown        IntentKind = "unknown"         // nothing recognisable: explain how to report
	IntentQuestion       IntentKind = "question"        // asks where something stands or how to do something: answer, never store
	IntentAck            IntentKind = "ack"             // 好的, 收到, 谢谢, 你好: a short reply, never store
)

// Topic is what a question asks about.
type Topic string

const (
	TopicItem       Topic = "item"       // Items[0]
	TopicIndicator  Topic = "indicator"  // Indicator
	TopicMine       Topic = "mine"       // the sender's own items
	TopicOverdue    Topic = "overdue"    // the overdue items
	TopicUnreported Topic = "unreported" // who has not reported
	TopicHowTo      Topic = "howto"      // how to report, send photos, correct
	TopicGeneral    Topic = "general"    // a question about nothing the bot can name
)

// MaxCandidates bounds the choices of an ambiguous intent (one keyboard).
const MaxCandidates = 6

// Intent is what Read understood.
//
// When Problem is set, something was recognised but is wrong (a percentage
// of 160, a date that has not come yet, two different percentages): the bot
// shows Problem and records nothing. Kind and the other fields still say what
// was understood, so the reply can name the item; a field whose figure is the
// problem is left nil.
type Intent struct {
	Kind IntentKind
	// Items holds exactly one existing item code for item_report (none for
	// a Correction that names no item; the codes of Parts when there are
	// several; for a question, the item asked about, if any); for
	// ambiguous, the candidate items, best first, at most MaxCandidates.
	Items []string
	// Indicator is the indicator key for indicator_value.
	Indicator string
	// Indicators holds the candidate indicators of an ambiguous intent, best
	// first. An ambiguous intent may have candidates in both lists (a word
	// that fits an item title and an indicator name): show Items first.
	Indicators []string
	// Percent is the progress percentage, 0–100 when Problem is empty.
	Percent *float64
	// Amount is a quantity: for an item, toward its target and in the
	// target's base unit; for an indicator, read in the indicator's unit
	// (so "税收 2100" is 2100万元). For ambiguous and unknown intents it is
	// the first amount as written (planbot.ParseAmount), a preview only:
	// re-read the text with ReadAs once the target is chosen.
	Amount *planbot.Amount
	// Done is set by 完成 / 已完成 / 全部完成 / done / ✅ standing alone,
	// for items only (an indicator has no "done").
	Done bool
	// Increment says Amount is what was added since the last report
	// (新增10户, 又检查企业12家, 再增加20亩), not the running total: the
	// bot adds it to the item's last total.
	Increment bool
	// Correction says the message corrects an earlier report (更正, 改为,
	// 应为, 报错了, 写错了, 不是60%是50%): the bot supersedes the sender's
	// newest report on the item, or their newest report when Items is
	// empty, rather than add a new one.
	Correction bool
	// Parts holds one item_report per item when the message reports on
	// several (2.3、2.5都完成了; 2.3 60% 2.5 40%): Items lists their codes
	// and the fields above are unset.
	Parts []Intent
	// Topic is what a question is about (TopicGreeting for a greeting).
	Topic Topic
	// Text is, for a Correction, the message without its correction
	// words ("更正：2.3 进度应为50%，不是60%" → "2.3 进度 50%"): re-read it
	// with ReadAs once the corrected report's item is known.
	Text string
	// Note is the rest of the message as written (not normalised, not
	// escaped), trimmed, the removed parts' gaps joined by one space. It is
	// valid UTF-8 whenever text is; invalid bytes in text are kept as they
	// are, so escape (esc) before sending.
	Note string
	// Date is the day the report is for (@3月15日, @3.15, @2027-03-15,
	// @昨天, 3月15日报); nil when none was given, meaning today.
	Date *planbot.Date
	// Leave is the span of a leave (IntentLeave; Person unset), nil when
	// Problem says what is missing or wrong.
	Leave *planbot.Leave
	// Problem is one short Chinese sentence, or "". When several things are
	// wrong, the first found is given: the date, then the percentage, then
	// the amounts.
	Problem string
}

// Read reads a cadre's message. owned lists the item codes the sender
// owns: when a fuzzy match is ambiguous, an owned candidate wins if it is the
// single best owned one; when the message carries a figure but names no item
// or indicator, the sender's only owned item is taken, and with several the
// intent is ambiguous over them (in the order of owned). today is the
// sender's current date in the plan's zone: a date after it is a Problem
// (a zero today disables that check).
//
// plan may be nil (every message is then unknown). The plan must not be
// changed in place after it has been parsed against: the word index is
// cached per plan (a reload that builds a new Plan is fine).
func Read(text string, plan *planbot.Plan, owned []string, today planbot.Date) Intent {
	if in, long := tooLong(text); long {
		return in
	}
	p := newReader(text, plan, today)
	return p.run(owned)
}

// MaxRunes is the longest message read as a report: Telegram's own
// limit on a message. A longer text (from the console) is unknown, with a
// Problem, and is not scanned at all.
const MaxRunes = 4096

func tooLong(text string) (Intent, bool) {
	if len(text) <= MaxRunes || utf8.RuneCountInString(text) <= MaxRunes {
		return Intent{}, false
	}
	return Intent{
		Kind:    IntentUnknown,
		Note:    strings.TrimSpace(text),
		Problem: fmt.Sprintf("消息太长（超过%d字），请分条汇报", MaxRunes),
	}, true
}

// ReadAs reads text as a report on a target already chosen: an item
// code (kind IntentItemReport) or an indicator key (kind
// IntentIndicatorValue). It is how a button press resolves an ambiguous
// intent (re-read the original text with the chosen target) and how
// /report <code> … and /value <indicator> … can read their arguments. A
// mention of the target in text (its code, name or alias) is dropped from
// the note; other codes and names stay in it. An unknown target is an
// unknown intent with a Problem.
func ReadAs(text string, plan *planbot.Plan, kind IntentKind, key string, today planbot.Date) Intent {
	if in, long := tooLong(text); long {
		return in
	}
	p := newReader(text, plan, today)
	// The words that named the target come out of the note, unless the
	// text names it by code or name already.
	named := func(match func(t *token) bool) bool {
		for i := range p.toks {
			if match(&p.toks[i]) {
				return true
			}
		}
		return false
	}
	switch kind {
	case IntentItemReport:
		if i, ok := p.ix.codes[key]; ok {
			if !named(func(t *token) bool { return t.kind == tokCode && t.code == key }) {
				p.stripSubject(i)
			}
			return p.finishItem(i)
		}
		return p.finishUnknown(fmt.Sprintf("没有编号为 %s 的事项", clipText(key)))
	case IntentIndicatorValue:
		if i, ok := p.ix.indicators[key]; ok {
			if !named(func(t *token) bool { return t.kind == tokName && t.ind == i }) {
				p.stripSubject(p.ix.nItems + i)
			}
			return p.finishIndicator(i)
		}
		return p.finishUnknown(fmt.Sprintf("没有代号为 %s 的指标", clipText(key)))
	}
	return p.finishUnknown("")
}
