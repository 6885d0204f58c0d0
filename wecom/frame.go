package wecom

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"
)

// The long connection's commands (docs/WECOM-PROTOCOL.md A.2).
const (
	cmdSubscribe     = "aibot_subscribe"
	cmdPing          = "ping"
	cmdRespond       = "aibot_respond_msg"
	cmdSend          = "aibot_send_msg"
	cmdUploadInit    = "aibot_upload_media_init"
	cmdUploadChunk   = "aibot_upload_media_chunk"
	cmdUploadFinish  = "aibot_upload_media_finish"
	cmdMsgCallback   = "aibot_msg_callback"
	cmdEventCallback = "aibot_event_callback"
)

// WeCom's error codes the adapter acts on (A.13, B); any other refusal
// (too long 40058, a bad md5 301019, too large …) fails the row.
const (
	codeBusy          = -1     // 系统繁忙: try again
	codeRateLimited   = 45009  // api freq out of limit: the block lasts the limit's period
	codeConcurrency   = 45033  // api concurrency out of limit
	codeBadSecret     = 853000 // invalid bot_id or secret (subscribe)
	codeBadBotID      = 93019  // invalid bot_id
	codeInvalidReqID  = 846605 // the req_id cannot be answered with this cmd
	codeNoChat        = 846607 // a push to a chat that never wrote to the bot
	codeStreamExpired = 846608 // the reply's stream expired
	codeBadWebhook    = 93000  // the robot's key is wrong or removed
	codeTooLong       = 40058  // a field over its length
	codeMD5Mismatch   = 301019 // an image's md5 does not match
)

const (
	rateLimitBlock          = time.Minute // how long WeCom blocks after 45009
	disconnectedEvent       = "disconnected_event"
	templateCardEvent       = "template_card_event"
	chatTypeSingle          = 1
	chatTypeGroup           = 2
	streamIDPrefix          = "pb"
	maxFrameBytes     int64 = 1 << 20 // inbound frames carry URLs, not media
)

// Frame is a callback the server pushed: a person's message
// (aibot_msg_callback) or an event (aibot_event_callback), with the req_id
// that answers it.
type Frame struct {
	Cmd   string
	ReqID string
	Body  json.RawMessage
}

// outFrame is a frame we send.
type outFrame struct {
	Cmd     string  `json:"cmd"`
	Headers headers `json:"headers"`
	Body    any     `json:"body,omitempty"`
}

type headers struct {
	ReqID string `json:"req_id"`
}

// inFrame is any frame the server sends: an ack has no cmd and carries
// errcode and errmsg, a push has a cmd and a body.
type inFrame struct {
	Cmd     string          `json:"cmd"`
	Headers headers         `json:"headers"`
	Body    json.RawMessage `json:"body"`
	Errcode int             `json:"errcode"`
	Errmsg  string          `json:"errmsg"`
}

// newReqID makes a req_id as the official SDK does, <cmd>_<unix ms>_<8
// hex>: the SDK, and perhaps the server, tell a subscribe's and a ping's
// ack by that prefix.
func newReqID(cmd string, now time.Time) string {
	var b [4]byte
	for i := range b {
		b[i] = byte(rand.UintN(256))
	}
	return cmd + "_" + strconv.FormatInt(now.UnixMilli(), 10) + "_" + hex.EncodeToString(b[:])
}

// Error is WeCom's refusal of a request: the command, its errcode and
// errmsg (WeCom's own text, which names no secret).
type Error struct {
	Cmd  string
	Code int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("wecom %s: errcode %d: %s", e.Cmd, e.Code, e.Msg) }

// errCode is the errcode of a WeCom refusal in err's chain; 0 if none.
func errCode(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

// The connection's own failures: a request that got no answer may or may
// not have reached WeCom.
var (
	// ErrNotConnected: there is no subscribed connection now (connecting,
	// waiting after a takeover or a refused secret, or stopped).
	ErrNotConnected = errors.New("wecom: not connected")
	// ErrNoAck: WeCom did not acknowledge the request in time.
	ErrNoAck = errors.New("wecom: no acknowledgement in time")
	// ErrConnLost: the connection dropped before the acknowledgement.
	ErrConnLost = errors.New("wecom: connection lost before the acknowledgement")
)
