package main

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"planbot"
	"planbot/bot"
)

// startAt runs a bot instance as start does, its conversation clock fixed
// at now instead of fixedNow.
func (h *e2e) startAt(now time.Time) {
	h.t.Helper()
	token := h.srv.Token()
	pollCtx, cancelPoll := context.WithCancel(context.Background())
	poller, err := bot.Connect(pollCtx, token, h.srv.Endpoint(), 10*time.Second)
	if err != nil {
		cancelPoll()
		h.t.Fatalf("connect: %v", err)
	}
	senderAPI, err := tgbotapi.NewBotAPIWithClient(token, h.srv.Endpoint(), &http.Client{Timeout: 10 * time.Second})
	if err != nil {
		cancelPoll()
		h.t.Fatalf("sender client: %v", bot.Redact(err, token))
	}
	sender := bot.NewSender(senderAPI, h.db, h.log, h.clock)
	sender.PerChat, sender.PerGroup, sender.Gap = 0, 0, 0
	b := bot.New(botConfig(&env{now: func() time.Time { return now }, log: h.log}, h.cfg, h.cfgPath))
	tg := &bot.Telegram{Bot: b, Updates: h.db, Sender: sender, Log: h.log, Now: h.clock, PollTimeout: 10 * time.Second}
	if err := tg.Start(poller); err != nil {
		cancelPoll()
		h.t.Fatalf("start: %v", err)
	}
	senderCtx, stopSender := context.WithCancel(context.Background())
	in := &instance{tg: tg, sender: sender, cancelPoll: cancelPoll, stopSender: stopSender,
		pollErr: make(chan error, 1), senderDone: make(chan struct{})}
	go func() {
		defer close(in.senderDone)
		if err := sender.Run(senderCtx); err != nil {
			h.log.Error("sender stopped", "err", err)
		}
	}()
	go func() { in.pollErr <- tg.Poll(pollCtx) }()
	h.inst = in
}

// Before the plan year starts, an item report and an indicator figure are
// both accepted as early reports, and neither is called 正常推进 against
// 应达 0% nor compared with an earlier figure that does not exist.
func TestAdmin12BeforeYearReports(t *testing.T) {
	t.Parallel()
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	december := time.Date(2026, time.December, 10, 10, 0, 0, 0, shanghai)
	begin := time.Now()
	h := newE2E(t, func() time.Time { return december.Add(time.Since(begin)) })
	h.startAt(december)

	echo := one(t, h.say(uMa, "2.3 进度20% 已开始办理前期手续"))
	wants(t, "early item echo", echo.Text, "✅ 已记录 <b>2.3</b>", "进度 20%", "当前：⚪ 年度未开始，已提前汇报（1月4日开始，届时计入进度）")
	for _, bad := range []string{"正常推进", "应达", "🟢"} {
		if strings.Contains(echo.Text, bad) {
			t.Errorf("the early item echo says %q:\n%s", bad, echo.Text)
		}
	}
	if rs := h.reports("2.3"); len(rs) != 1 || percentOf(rs[0]) != 20 || rs[0].At.Year() != 2026 {
		t.Fatalf("2.3 in the database: %+v", rs)
	}
	detail := one(t, h.say(uMa, "/item 2.3"))
	wants(t, "/item 2.3", detail.Text, "⚪", "状态：年度未开始，已提前汇报 · 进度 20%（1月4日开始）")
	if strings.Contains(detail.Text, "应达") || strings.Contains(detail.Text, "正常推进") {
		t.Errorf("/item 2.3 before the year:\n%s", detail.Text)
	}

	// The first figure of 固定资产投资 (target 6.5亿元) is over half the
	// target: it is confirmed, but there is no 上次 to compare with.
	ask := one(t, h.say(uChen, "固定资产投资 累计3.5亿"))
	wants(t, "first big figure", ask.Text, "这是固定资产投资今年第一次填报，3.5亿元 已超过全年目标 6.5亿元 的 50%。", "数值没错吗？")
	if strings.Contains(ask.Text, "比上次") || strings.Contains(ask.Text, "尚未开始") {
		t.Errorf("the first figure's question:\n%s", ask.Text)
	}
	done := one(t, h.pressText(uChen, ask.MessageID, "确认"))
	wants(t, "early indicator echo", done.Text, "✅ 已提前记录 <b>固定资产投资</b>：3.5亿元（全年目标 6.5亿元）", "2027 年度未开始，已提前汇报")
	obs, err := h.db.IndicatorObservations(h.ctx, "fixed_asset_investment")
	if err != nil {
		t.Fatal(err)
	}
	jan1 := time.Date(2027, time.January, 1, 0, 0, 0, 0, shanghai)
	want, _ := planbot.ParseAmount("3.5亿元")
	if len(obs) != 1 || !obs[0].At.Equal(jan1) || obs[0].Received.Year() != 2026 || obs[0].Value != want || obs[0].Reporter != "chen_fuzhen" {
		t.Fatalf("observations: %+v; want one of 3.5亿元 dated %v, received in December", obs, jan1)
	}

	// A second early figure is compared with the first.
	again := one(t, h.say(uChen, "固定资产投资 累计3亿"))
	wants(t, "second figure", again.Text, "比上次 3.5亿元 还少")
}

// planbot jobs names each schedule of the example in words, not "每天按
// cron 执行".
func TestAdmin12JobsInWords(t *testing.T) {
	r := runCmd(t, "jobs", "-from", "2027-06-14", "-n", "1")
	if r.code != exitOK {
		t.Fatalf("jobs = %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"【overdue_daily】逾期提醒 · 每个工作日 9:00（跳过法定节假日，调休上班日照常） · cron \"0 9 * * *\"\n",
		"【due_soon_check】临期提醒 · 每周一、周三 9:00（非工作日不发） · cron \"0 9 * * 1,3\"\n",
		"【escalate_ladder】逐级提醒（蓝→黄→红） · 每个工作日 10:00（跳过法定节假日，调休上班日照常） · cron \"0 10 * * *\"\n",
		"【thursday_report_nudge】催报 · 每周四 16:00（非工作日不发） · cron \"0 16 * * 4\"\n",
		"【weekly_digest】周报 · 每周一 8:30 · cron \"30 8 * * 1\"\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("planbot jobs does not say %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "按 cron 执行") {
		t.Errorf("planbot jobs still says 按 cron 执行:\n%s", r.stdout)
	}
}

// planbot outbox names its states and columns in Chinese.
func TestAdmin12OutboxInChinese(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "planbot.db")
	if r := runCmd(t, "fire", "overdue_daily", "-at", "2027-06-15 09:00", "-db", dbPath); r.code != exitOK {
		t.Fatalf("fire = %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := runCmd(t, "outbox", "-db", dbPath)
	if r.code != exitOK {
		t.Fatalf("outbox = %d: %s", r.code, r.stderr)
	}
	if want := "发送队列：待发送 1 · 发送中 0 · 已发送 0 · 失败 0 · 不确定是否送达 0\n"; !strings.HasPrefix(r.stdout, want) {
		t.Errorf("planbot outbox begins\n%s\nwant %q", r.stdout, want)
	}
	wants(t, "planbot outbox", r.stdout, "待发送（1）", "编号", "收件人", "尝试次数", "内容 / 错误", "许某某")
	for _, english := range []string{"pending", "sending", "failed", "uncertain", "attempts", "text / error"} {
		if strings.Contains(r.stdout, english) {
			t.Errorf("planbot outbox says %q:\n%s", english, r.stdout)
		}
	}
}
