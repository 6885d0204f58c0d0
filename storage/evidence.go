package storage

import (
	"context"
	"fmt"
)

// SaveEvidence keeps a file a platform lends only for a while (WeCom's
// download links last minutes) under ref, the evidence reference a report
// names ("wecom:<msgid>"), with its file name ("" for none) and the
// session's time. A ref saved already is the same file: saving it again
// keeps the first and writes nothing, so an event handled again after a
// failure saves nothing twice. It fails with ErrInvalid for an empty ref.
func (s *Session) SaveEvidence(ctx context.Context, ref, name string, data []byte) error {
	if ref == "" {
		return fmt.Errorf("save evidence file: %w", errorf(ErrInvalid, "no evidence reference"))
	}
	if data == nil {
		data = []byte{} // an empty file is a file (data is NOT NULL)
	}
	if _, err := s.tx.ExecContext(ctx, `
		INSERT INTO evidence_files (ref, name, data, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (ref) DO NOTHING`, ref, name, data, unix(s.now)); err != nil {
		return fmt.Errorf("save evidence file %q (%d bytes): %w", ref, len(data), classify(err))
	}
	return nil
}
