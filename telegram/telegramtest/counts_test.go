package telegramtest_test

import (
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"planbot/telegram/telegramtest"
)

// OKCount counts only the calls that took effect, by method and chat, and
// WaitOK returns once the count is reached.
func TestOKCount(t *testing.T) {
	srv, api := newClient(t)
	srv.FailNext("sendMessage", 1, telegramtest.Fault{Status: 500})
	for _, chat := range []int64{alice.ID, alice.ID, alice.ID, bob.ID} {
		api.Send(tgbotapi.NewMessage(chat, "hi")) // the first fails with 500
	}
	srv.WaitOK(t, "sendMessage", nil, 3, wait)
	onlyAlice := func(id int64) bool { return id == alice.ID }
	if got := srv.OKCount("sendMessage", onlyAlice); got != 2 {
		t.Errorf("OKCount(sendMessage, alice) = %d, want 2 (the failed call is not counted)", got)
	}
	if got := srv.OKCount("getMe", nil); got != 1 {
		t.Errorf("OKCount(getMe) = %d, want 1", got)
	}
	if got := srv.OKCount("sendPhoto", nil); got != 0 {
		t.Errorf("OKCount(sendPhoto) = %d, want 0", got)
	}
}
