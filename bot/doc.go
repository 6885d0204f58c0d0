// Package bot owns the conversation: transport-agnostic handlers that take
// a chat message and return replies, and the adapters that carry them over
// Telegram (long polling) and the console. It is built in the chat issue;
// until then it holds only this description, so the layout is in place.
package bot
