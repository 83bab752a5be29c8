package archive

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
)

// A journal is a file of frames, one per appended batch:
//
//	magic   4 bytes  "alj1"
//	length  4 bytes  little endian, of the payload
//	crc     4 bytes  little endian, CRC-32C of the payload
//	payload          encodeBatch
//
// A frame is written with one write call and is valid only when its CRC
// matches, so a frame torn by a crash or a power cut is recognised and
// dropped. After a bad frame the reader looks for the next magic, so one
// damaged frame in the middle costs that frame only.

var journalMagic = [4]byte{'a', 'l', 'j', '1'}

const (
	frameHeader = 12
	// maxFrame bounds the payload of one frame (a batch of a host with
	// many thousands of processes is a few MB).
	maxFrame = 256 << 20
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// appendFrame appends a frame holding payload to dst.
func appendFrame(dst, payload []byte) []byte {
	dst = append(dst, journalMagic[:]...)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(payload)))
	dst = binary.LittleEndian.AppendUint32(dst, crc32Of(payload))
	return append(dst, payload...)
}

// frameAt returns the payload of a valid frame at the start of b and the
// frame's length, or ok false.
func frameAt(b []byte) (payload []byte, n int, ok bool) {
	if len(b) < frameHeader || !bytes.Equal(b[:4], journalMagic[:]) {
		return nil, 0, false
	}
	size := binary.LittleEndian.Uint32(b[4:8])
	if size > maxFrame || uint64(size) > uint64(len(b)-frameHeader) {
		return nil, 0, false
	}
	payload = b[frameHeader : frameHeader+int(size)]
	if crc32.Checksum(payload, crcTable) != binary.LittleEndian.Uint32(b[8:12]) {
		return nil, 0, false
	}
	return payload, frameHeader + int(size), true
}

// badSpan is a stretch of a journal that held no valid frame.
type badSpan struct{ off, len int }

// splitFrames returns the payloads of the valid frames of a journal and the
// spans it had to skip.
func splitFrames(b []byte) (payloads [][]byte, bad []badSpan) {
	off := 0
	for off < len(b) {
		if p, n, ok := frameAt(b[off:]); ok {
			payloads = append(payloads, p)
			off += n
			continue
		}
		next := bytes.Index(b[off+1:], journalMagic[:])
		for next >= 0 {
			if _, _, ok := frameAt(b[off+1+next:]); ok {
				break
			}
			i := bytes.Index(b[off+1+next+1:], journalMagic[:])
			if i < 0 {
				next = -1
				break
			}
			next += 1 + i
		}
		if next < 0 {
			bad = append(bad, badSpan{off, len(b) - off})
			break
		}
		bad = append(bad, badSpan{off, 1 + next})
		off += 1 + next
	}
	return payloads, bad
}

func crc32Of(p []byte) uint32 { return crc32.Checksum(p, crcTable) }
