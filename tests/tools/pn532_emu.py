#!/usr/bin/env python3
"""pn532_emu.py -- a PN532 NFC reader (HSU/UART) emulated on a pseudo-terminal.

What it is for: testing keten's NFC reader through the real, unmodified
libnfc (its pn532_uart driver) without hardware.  The emulator creates a pty,
puts the slave side in raw mode, and answers on the master side the PN532
commands libnfc 1.8.0 sends (see the project note pn532-emulation.md):
wake-up preamble, SAMConfiguration, Diagnose, GetFirmwareVersion,
SetParameters, Read/WriteRegister, RFConfiguration, InListPassiveTarget,
InAutoPoll, InDeselect, InRelease, InSelect, InDataExchange,
InCommunicateThru, PowerDown, GetGeneralStatus, Read/WriteGPIO.  Frames are
checked (LCS, DCS); each command is ACKed then answered; a NACK from the host
makes it send its last answer again; an unknown command gets the PN532's
syntax-error frame.  In the RF field there is at most one emulated NFC Forum
Type 2 tag (NTAG213/215/216 or MIFARE Ultralight) that answers READ (30h),
FAST_READ (3Ah), WRITE (A2h), GET_VERSION (60h, NTAG only), READ_SIG (3Ch),
READ_CNT (39h), PWD_AUTH (1Bh, refused) and HLTA (50h).  Like a real tag, a
tag that NAKs or does not answer a command drops out of the selected state
and must be selected again (InListPassiveTarget).

Usage:
  pn532_emu.py [--link PATH] [--scenario FILE] [--trace FILE] [-v]   run the emulator
  pn532_emu.py [--link PATH] --uri URI [--uid HEX] [--type T] [--no-ndef] [--empty]
  pn532_emu.py image --uri URI [--uid HEX] [--type T]    print a tag memory image

On start it prints the pty slave path as the first line of stdout (then
stdout is closed: logs go to stderr with -v).  With --link PATH it also
makes PATH a symlink to the slave (replaced atomically, removed on
SIGTERM/SIGINT), created before that first line is printed.  libnfc
connstring: pn532_uart:<path>.  --trace FILE appends one line per host
command, "<command hex> <parameters hex>" (e.g. "40 013004" for a READ of
page 4), for tests that check what the host sent.

Scenario (JSON file given with --scenario; re-read whenever the file changes
(compare inode, size, mtime: write a new file and rename it over the old one)
and on SIGUSR1):
  {
    "tag": {                       null or absent = empty field
      "type": "NTAG213",           NTAG213 | NTAG215 | NTAG216 | Ultralight
      "uid": "04a1b2c3d4e5f6",     7 bytes hex (default 04 11 22 33 44 55 66)
      "uri": "https://...",        NDEF message with one URI record, or
      "text": "hello",             one text record ("lang": "en"), or
      "ndef": "d1010b55...",       a raw NDEF message (hex) put in an NDEF TLV, or
      "data": "0000fe...",         raw bytes of the data area from page 4 (hex), or
      "memory": "0411...",         the whole memory image (hex), overriding all
      "cc": "e1101200"             page 3 override ("00000000" = not NDEF formatted)
                                   (with none of uri/text/ndef/data: empty NDEF TLV 03 00 FE)
    },
    "remove_after_reads": 2,       the tag leaves the field after answering 2
                                   READ/FAST_READ commands (until the next reload)
    "die_after_reads": 2,          after 2 READs, ACK the next READ then SIGKILL itself
    "silent_after_reads": 2,       after 2 READs, ACK the next READ and then answer
                                   nothing at all (until the next reload)
    "delay_ms": 0                  delay before each answer (RF time of a real chip)
  }
The counters of remove/die/silent start again at each reload.

Exit: SIGTERM/SIGINT (clean: the --link symlink is removed), or SIGKILL
(the symlink is left pointing at a /dev/pts/N that the system may give to
another terminal: a test that kills it should remove the link).

From a shell test (python3 through a pyenv shim can take 2 s to start; wait
for the first line rather than sleeping):
  python3 tests/tools/pn532_emu.py --link "$d/pn532" --scenario "$d/s.json" >"$d/emu.out" &
  emu=$!
  while [ ! -s "$d/emu.out" ]; do sleep 0.05; done
  LIBNFC_AUTO_SCAN=false LIBNFC_LOG_LEVEL=0 keten scan --reader "nfc:pn532_uart:$d/pn532" ...
  echo '{"tag": null}' >"$d/s.new" && mv "$d/s.new" "$d/s.json"   # take the tag away
  kill "$emu"; wait "$emu"
"""

import argparse
import json
import os
import select
import signal
import sys
import time
import tty

# ---------------------------------------------------------------------------
# NDEF and tag memory images

URI_PREFIXES = [
    "", "http://www.", "https://www.", "http://", "https://", "tel:", "mailto:",
    "ftp://anonymous:anonymous@", "ftp://ftp.", "ftps://", "sftp://", "smb://",
    "nfs://", "ftp://", "dav://", "news:", "telnet://", "imap:", "rtsp://", "urn:",
    "pop:", "sip:", "sips:", "tftp:", "btspp://", "btl2cap://", "btgoep://",
    "tcpobex://", "irdaobex://", "file://", "urn:epc:id:", "urn:epc:tag:",
    "urn:epc:pat:", "urn:epc:raw:", "urn:epc:", "urn:nfc:",
]

# tag type -> (pages, CC size byte, GET_VERSION answer or None)
TAG_TYPES = {
    "NTAG213": (45, 0x12, bytes.fromhex("0004040201000f03")),
    "NTAG215": (135, 0x3E, bytes.fromhex("0004040201001103")),
    "NTAG216": (231, 0x6D, bytes.fromhex("0004040201001303")),
    "Ultralight": (16, 0x06, None),
}

DEFAULT_UID = "04112233445566"


def uri_payload(uri):
    """URI record payload: the longest matching identifier code + the rest."""
    best = 0
    for code, prefix in enumerate(URI_PREFIXES):
        if prefix and uri.startswith(prefix) and len(prefix) > len(URI_PREFIXES[best]):
            best = code
    return bytes([best]) + uri[len(URI_PREFIXES[best]):].encode("utf-8")


def ndef_record(tnf, rtype, payload, mb=True, me=True):
    """One NDEF record (short form when the payload fits in a byte)."""
    hdr = (0x80 if mb else 0) | (0x40 if me else 0) | tnf
    if len(payload) < 256:
        return bytes([hdr | 0x10, len(rtype), len(payload)]) + rtype + payload
    return bytes([hdr, len(rtype)]) + len(payload).to_bytes(4, "big") + rtype + payload


def ndef_uri_message(uri):
    return ndef_record(1, b"U", uri_payload(uri))


def ndef_text_message(text, lang="en"):
    lb = lang.encode("ascii")
    return ndef_record(1, b"T", bytes([len(lb)]) + lb + text.encode("utf-8"))


def ndef_tlv(msg):
    """NDEF Message TLV (1- or 3-byte length) followed by a Terminator TLV."""
    if len(msg) < 0xFF:
        return bytes([0x03, len(msg)]) + msg + b"\xfe"
    return b"\x03\xff" + len(msg).to_bytes(2, "big") + msg + b"\xfe"


def tag_image(tag_type="NTAG213", uid=DEFAULT_UID, data=None, cc=None):
    """Whole memory of a Type 2 tag: UID/BCC pages, lock bytes, CC, data area
    (bytes from page 4, zero padded), and for NTAG the config pages."""
    pages, cc_size, _ = TAG_TYPES[tag_type]
    u = bytes.fromhex(uid)
    if len(u) != 7:
        raise ValueError("uid must be 7 bytes (14 hex digits)")
    mem = bytearray(pages * 4)
    bcc0 = 0x88 ^ u[0] ^ u[1] ^ u[2]
    bcc1 = u[3] ^ u[4] ^ u[5] ^ u[6]
    mem[0:4] = bytes([u[0], u[1], u[2], bcc0])
    mem[4:8] = u[3:7]
    mem[8:12] = bytes([bcc1, 0x48, 0x00, 0x00])
    mem[12:16] = bytes.fromhex(cc) if cc is not None else bytes([0xE1, 0x10, cc_size, 0x00])
    area = cc_size * 8
    data = data if data is not None else b"\x03\x00\xfe"
    if len(data) > area:
        raise ValueError("data of %d bytes does not fit the %d-byte data area of a %s"
                         % (len(data), area, tag_type))
    mem[16:16 + len(data)] = data
    if tag_type.startswith("NTAG"):
        cfg = pages - 5  # dynamic lock, CFG0, CFG1, PWD, PACK
        mem[cfg * 4:cfg * 4 + 4] = b"\x00\x00\x00\xbd"
        mem[(cfg + 1) * 4:(cfg + 1) * 4 + 4] = b"\x04\x00\x00\xff"  # AUTH0 = FF: no password
        mem[(cfg + 2) * 4:(cfg + 2) * 4 + 4] = b"\x00\x05\x00\x00"
    return bytes(mem)


def image_from_spec(spec):
    """A tag memory image from a scenario "tag" object."""
    t = spec.get("type", "NTAG213")
    if t not in TAG_TYPES:
        raise ValueError("unknown tag type %r (known: %s)" % (t, ", ".join(TAG_TYPES)))
    uid = spec.get("uid", DEFAULT_UID)
    if "memory" in spec:
        mem = bytes.fromhex(spec["memory"])
        if len(mem) != TAG_TYPES[t][0] * 4:
            raise ValueError("memory of a %s must be %d bytes" % (t, TAG_TYPES[t][0] * 4))
        return mem
    data = None
    if "uri" in spec:
        data = ndef_tlv(ndef_uri_message(spec["uri"]))
    elif "text" in spec:
        data = ndef_tlv(ndef_text_message(spec["text"], spec.get("lang", "en")))
    elif "ndef" in spec:
        data = ndef_tlv(bytes.fromhex(spec["ndef"]))
    elif "data" in spec:
        data = bytes.fromhex(spec["data"])
    return tag_image(t, uid, data, spec.get("cc"))


# ---------------------------------------------------------------------------
# The emulated tag

class Tag:
    def __init__(self, spec):
        self.type = spec.get("type", "NTAG213")
        self.mem = bytearray(image_from_spec(spec))
        self.pages = len(self.mem) // 4
        self.version = TAG_TYPES[self.type][2]
        u = bytes(self.mem[0:3]) + bytes(self.mem[4:8])
        self.uid = u
        self.atqa = bytes.fromhex(spec.get("atqa", "0044"))
        self.sak = int(spec.get("sak", 0))
        self.active = False  # selected (ISO 14443-3 ACTIVE state)

    def target_data(self):
        """Tg, SENS_RES, SEL_RES, NFCID1 length, NFCID1 (PN532 order)."""
        return bytes([1]) + self.atqa + bytes([self.sak, len(self.uid)]) + self.uid

    def command(self, cmd):
        """Answer to a tag command, or None for no answer / NAK (the tag then
        leaves the ACTIVE state, as an ISO 14443-3 tag does)."""
        ans = self._command(cmd)
        if ans is None:
            self.active = False
        return ans

    def _command(self, c):
        if not c:
            return None
        op = c[0]
        if op == 0x30 and len(c) == 2:  # READ: 4 pages, rolling over
            if c[1] >= self.pages:
                return None
            return bytes(self.mem[((c[1] + i) % self.pages) * 4 + j]
                         for i in range(4) for j in range(4))
        if op == 0x3A and len(c) == 3 and self.version:  # FAST_READ start end
            if c[1] > c[2] or c[2] >= self.pages:
                return None
            return bytes(self.mem[c[1] * 4:(c[2] + 1) * 4])
        if op == 0xA2 and len(c) == 6:  # WRITE page + 4 bytes: ACK (no data)
            if c[1] < 2 or c[1] >= self.pages:
                return None
            if c[1] == 2:  # lock bytes are OR-ed, the rest of page 2 is read-only
                self.mem[10] |= c[4]
                self.mem[11] |= c[5]
            else:
                self.mem[c[1] * 4:c[1] * 4 + 4] = c[2:6]
            return b""
        if op == 0x60 and len(c) == 1 and self.version:  # GET_VERSION
            return self.version
        if op == 0x3C and len(c) == 2 and self.version:  # READ_SIG
            return bytes(32)
        if op == 0x39 and len(c) == 2 and self.version:  # READ_CNT
            return bytes(3)
        return None  # PWD_AUTH, HLTA, unknown: NAK or no answer


# ---------------------------------------------------------------------------
# The PN532

ACK = b"\x00\x00\xff\x00\xff\x00"
ERROR_FRAME = b"\x00\x00\xff\x01\xff\x7f\x81\x00"

ST_OK = 0x00
ST_TIMEOUT = 0x01  # the target did not answer (also used for a NAK)
ST_CONTEXT = 0x27  # command not acceptable in the current context


def crc_a(data):
    """ISO/IEC 14443-3 CRC_A (init 6363h, reflected polynomial 8408h), LSB first."""
    crc = 0x6363
    for b in data:
        b ^= crc & 0xFF
        b = (b ^ (b << 4)) & 0xFF
        crc = (crc >> 8) ^ (b << 8) ^ (b << 3) ^ (b >> 4)
    return bytes([crc & 0xFF, crc >> 8])


def frame(data):
    """PN532 -> host information frame: TFI D5 + data."""
    body = b"\xd5" + data
    dcs = (-sum(body)) & 0xFF
    if len(body) <= 255:
        return bytes([0x00, 0x00, 0xFF, len(body), (-len(body)) & 0xFF]) + body + bytes([dcs, 0x00])
    n = len(body)
    return (bytes([0x00, 0x00, 0xFF, 0xFF, 0xFF, n >> 8, n & 0xFF, (-(n >> 8) - (n & 0xFF)) & 0xFF])
            + body + bytes([dcs, 0x00]))


class Emulator:
    def __init__(self, fd, scenario_path=None, scenario=None, verbose=False, trace=None):
        self.fd = fd
        self.verbose = verbose
        self.trace = trace
        self.scenario_path = scenario_path
        self.scenario_stat = None
        self.buf = bytearray()
        self.last_answer = None
        self.pending = None  # (command, data, deadline or None)
        self.registers = {}
        self.max_retry_passive = 0xFF
        self.field_on = False
        self.target_listed = False  # the chip holds a target (Tg 1)
        self.reload_requested = False
        self.apply(scenario or {})
        if scenario_path:
            self.reload(force=True)

    def log(self, *a):
        if self.verbose:
            print("pn532_emu:", *a, file=sys.stderr, flush=True)

    # -- scenario --

    def apply(self, sc):
        spec = sc.get("tag")
        tag = Tag(spec) if spec else None  # may raise: nothing changed yet
        self.scenario = sc
        self.tag = tag
        self.reads = 0
        self.removed = False
        self.silent = False
        self.target_listed = False
        self.log("scenario:", json.dumps(sc))

    def reload(self, force=False):
        try:
            st = os.stat(self.scenario_path)
        except OSError as e:
            self.log("scenario:", e)
            return
        key = (st.st_ino, st.st_size, st.st_mtime_ns)
        if not force and key == self.scenario_stat:
            return
        self.scenario_stat = key
        try:
            with open(self.scenario_path) as f:
                sc = json.load(f)
        except (OSError, ValueError) as e:
            self.log("scenario not loaded:", e)
            return
        try:
            self.apply(sc)
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            self.log("bad scenario:", e)
            return
        self.answer_pending_on_tag()

    def check_reload(self):
        if self.reload_requested:
            self.reload_requested = False
            if self.scenario_path:
                self.reload(force=True)
        elif self.scenario_path:
            self.reload()

    def present(self):
        return self.tag is not None and not self.removed

    # -- I/O --

    def send(self, data):
        if self.silent:
            return
        try:
            os.write(self.fd, data)
        except OSError as e:
            self.log("write:", e)

    def answer(self, data):
        delay = self.scenario.get("delay_ms", 0)
        if delay:
            time.sleep(delay / 1000.0)
        self.last_answer = frame(data)
        self.send(self.last_answer)

    def feed(self, data):
        """Consumes host bytes: skips the wake-up preamble and junk, handles
        ACK (abort), NACK (resend) and information frames."""
        self.buf += data
        while True:
            i = self.buf.find(b"\x00\xff")
            if i < 0:
                del self.buf[:max(0, len(self.buf) - 1)]
                return
            b = self.buf[i:]
            if len(b) < 4:
                del self.buf[:i]
                return
            if b[2] == 0x00 and b[3] == 0xFF:  # ACK from the host: abort
                del self.buf[:i + 4]
                self.log("host ACK: abort")
                self.pending = None
                continue
            if b[2] == 0xFF and b[3] == 0x00:  # NACK: send the last answer again
                del self.buf[:i + 4]
                self.log("host NACK")
                if self.last_answer:
                    self.send(self.last_answer)
                continue
            if b[2] == 0xFF and b[3] == 0xFF:  # extended frame
                if len(b) < 7:
                    del self.buf[:i]
                    return
                if (b[4] + b[5] + b[6]) & 0xFF:
                    del self.buf[:i + 2]
                    continue
                n, hdr = b[4] << 8 | b[5], 7
            else:
                if (b[2] + b[3]) & 0xFF or b[2] == 0:
                    del self.buf[:i + 2]
                    continue
                n, hdr = b[2], 4
            if len(b) < hdr + n + 1:
                del self.buf[:i]
                return
            body = bytes(b[hdr:hdr + n])
            dcs = b[hdr + n]
            del self.buf[:i + hdr + n + 1]
            if (sum(body) + dcs) & 0xFF or body[0] != 0xD4 or len(body) < 2:
                # A real chip ignores a frame it cannot check: the host times out.
                self.log("bad frame dropped:", body.hex())
                continue
            self.command(body[1], body[2:])

    # -- commands --

    def command(self, cmd, d):
        self.check_reload()
        if self.silent:
            self.log("silent: ignoring %02x" % cmd)
            return
        self.pending = None
        self.log("cmd %02x %s" % (cmd, d.hex()))
        if self.trace:
            self.trace.write("%02x %s\n" % (cmd, d.hex()))
            self.trace.flush()
        handler = COMMANDS.get(cmd)
        if handler is None:
            self.send(ACK)
            self.send(ERROR_FRAME)
            return
        self.send(ACK)
        res = handler(self, d)
        if res is not None:
            self.answer(bytes([cmd + 1]) + res)

    def cmd_diagnose(self, d):
        if d[:1] == b"\x00":
            return d  # communication test: echo
        if d[:1] == b"\x06":  # card presence
            return bytes([ST_OK if self.target_listed and self.present() else ST_TIMEOUT])
        return b"\x00"

    def cmd_firmware(self, d):
        return bytes([0x32, 0x01, 0x06, 0x07])  # PN532 v1.6, ISO14443A/B, ISO18092

    def cmd_status(self, d):
        if self.target_listed and self.present():
            return bytes([0, 1 if self.field_on else 0, 1, 1, 0, 0, 0, 0x01])
        return bytes([0, 1 if self.field_on else 0, 0, 0x01])

    def cmd_read_register(self, d):
        return bytes(self.registers.get(d[i] << 8 | d[i + 1], 0) for i in range(0, len(d) - 1, 2))

    def cmd_write_register(self, d):
        for i in range(0, len(d) - 2, 3):
            self.registers[d[i] << 8 | d[i + 1]] = d[i + 2]
        return b""

    def cmd_read_gpio(self, d):
        return b"\xff\xff\xff"

    def cmd_empty(self, d):
        return b""

    def cmd_status_ok(self, d):
        return b"\x00"

    def cmd_rf_config(self, d):
        if d[:1] == b"\x01" and len(d) >= 2:
            self.field_on = bool(d[1] & 1)
            if not self.field_on:
                self.target_listed = False
        elif d[:1] == b"\x05" and len(d) >= 4:
            self.max_retry_passive = d[3]
        return b""

    def cmd_release(self, d):
        self.target_listed = False
        if self.tag:
            self.tag.active = False
        return b"\x00"

    def cmd_deselect(self, d):
        if self.tag:
            self.tag.active = False
        return b"\x00"

    def cmd_select(self, d):
        if self.target_listed and self.present() and d[:1] == b"\x01":
            self.tag.active = True
            return b"\x00"
        return bytes([ST_CONTEXT])

    def cmd_powerdown(self, d):
        self.field_on = False
        self.target_listed = False
        return b"\x00"

    def tag_matches(self, init):
        """Initiator data of InListPassiveTarget type A: a UID to select,
        possibly with cascade tags (88h) as libnfc sends them."""
        if not init:
            return True
        u = init
        if len(u) == 8 and u[0] == 0x88:
            u = u[1:]
        elif len(u) == 12 and u[0] == 0x88 and u[4] == 0x88:
            u = u[1:4] + u[5:8] + u[8:]
        return u == self.tag.uid

    def cmd_list(self, d):
        if len(d) < 2 or d[0] not in (1, 2):
            return bytes([0])
        self.target_listed = False
        if d[1] == 0x00 and self.present() and self.tag_matches(d[2:]):
            return self.list_answer()
        if self.max_retry_passive == 0xFF and d[1] == 0x00:
            self.pending = (0x4A, d, None)  # a real chip waits for a tag
            return None
        return bytes([0])

    def list_answer(self):
        self.target_listed = True
        self.tag.active = True
        return bytes([1]) + self.tag.target_data()

    def cmd_autopoll(self, d):
        if len(d) < 3:
            return bytes([0])
        poll_nr, period, types = d[0], d[1], d[2:]
        wanted = any(t in (0x00, 0x10) or (t == 0x20 and self.tag and self.tag.sak & 0x20)
                     for t in types)
        if self.present() and wanted:
            return self.autopoll_answer()
        if poll_nr == 0xFF:
            self.pending = (0x60, d, None)
        else:
            wait = poll_nr * max(period, 1) * 0.150 * len(types)
            self.pending = (0x60, d, time.monotonic() + wait)
        return None

    def autopoll_answer(self):
        self.target_listed = True
        self.tag.active = True
        td = self.tag.target_data()
        return bytes([1, 0x10, len(td)]) + td

    def answer_pending_on_tag(self):
        if self.pending is None or not self.present():
            return
        cmd, d, _ = self.pending
        if cmd == 0x4A and self.tag_matches(d[2:]):
            self.pending = None
            self.answer(bytes([0x4B]) + self.list_answer())
        elif cmd == 0x60:
            self.pending = None
            self.answer(bytes([0x61]) + self.autopoll_answer())

    def pending_timeout(self):
        if self.pending and self.pending[2] is not None and time.monotonic() >= self.pending[2]:
            self.pending = None
            self.answer(bytes([0x61, 0]))

    def tag_exchange(self, tcmd):
        """Runs a tag command; returns the status byte + the tag's answer."""
        if not self.target_listed:
            return bytes([ST_CONTEXT])
        if tcmd[:1] in (b"\x30", b"\x3a"):
            lim = self.scenario
            if "die_after_reads" in lim and self.reads >= lim["die_after_reads"]:
                self.log("die_after_reads: killed mid-read")
                os.kill(os.getpid(), signal.SIGKILL)
            if "silent_after_reads" in lim and self.reads >= lim["silent_after_reads"]:
                self.log("silent_after_reads: silent from now on")
                self.silent = True
                return None
            if "remove_after_reads" in lim and self.reads >= lim["remove_after_reads"]:
                if not self.removed:
                    self.log("remove_after_reads: tag removed")
                self.removed = True
        if not self.present():
            return bytes([ST_TIMEOUT])
        self.tag.active = True  # a deselected target is reactivated by the chip
        ans = self.tag.command(tcmd)
        if ans is None:
            self.target_listed = False
            return bytes([ST_TIMEOUT])
        if tcmd[:1] in (b"\x30", b"\x3a"):
            self.reads += 1
        if len(ans) > 262:
            return bytes([0x0B])  # buffer overflow: a PN532 frame holds at most 262 bytes
        return bytes([ST_OK]) + ans

    def cmd_data_exchange(self, d):
        if len(d) < 2 or d[0] != 1:
            return bytes([ST_CONTEXT])
        return self.tag_exchange(d[1:])

    def cmd_communicate_thru(self, d):
        if not d:
            return bytes([ST_CONTEXT])
        if not self.target_listed:  # raw frames go to whatever is in the field
            return bytes([ST_TIMEOUT])
        # CIU_TxMode (6302h) bit 7 clear: the host handles CRC_A itself
        # (libnfc's NP_HANDLE_CRC false), so frames carry it both ways.
        if self.registers.get(0x6302, 0x80) & 0x80:
            return self.tag_exchange(d)
        if len(d) < 3 or crc_a(d[:-2]) != d[-2:]:
            return bytes([ST_TIMEOUT])  # a tag ignores a frame with a bad CRC
        res = self.tag_exchange(d[:-2])
        if res[:1] == bytes([ST_OK]) and len(res) > 1:
            res += crc_a(res[1:])
        return res


COMMANDS = {
    0x00: Emulator.cmd_diagnose,
    0x02: Emulator.cmd_firmware,
    0x04: Emulator.cmd_status,
    0x06: Emulator.cmd_read_register,
    0x08: Emulator.cmd_write_register,
    0x0C: Emulator.cmd_read_gpio,
    0x0E: Emulator.cmd_empty,        # WriteGPIO
    0x10: Emulator.cmd_empty,        # SetSerialBaudRate
    0x12: Emulator.cmd_empty,        # SetParameters
    0x14: Emulator.cmd_empty,        # SAMConfiguration
    0x16: Emulator.cmd_powerdown,
    0x32: Emulator.cmd_rf_config,
    0x40: Emulator.cmd_data_exchange,
    0x42: Emulator.cmd_communicate_thru,
    0x44: Emulator.cmd_deselect,
    0x4A: Emulator.cmd_list,
    0x4E: Emulator.cmd_status_ok,    # InPSL
    0x52: Emulator.cmd_release,
    0x54: Emulator.cmd_select,
    0x60: Emulator.cmd_autopoll,
}


# ---------------------------------------------------------------------------
# Main

def make_link(link, target):
    tmp = "%s.tmp%d" % (link, os.getpid())
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass
    os.symlink(target, tmp)
    os.replace(tmp, link)


def run(args):
    scenario = None
    if args.scenario is None:
        tag = None
        if not args.empty:
            tag = {"type": args.type, "uid": args.uid}
            if args.uri is not None:
                tag["uri"] = args.uri
            if args.no_ndef:
                tag["cc"] = "00000000"
                tag["data"] = ""
        scenario = {"tag": tag}
        image_from_spec(tag) if tag else None  # validate now

    master, slave = os.openpty()
    tty.setraw(slave)
    path = os.ttyname(slave)
    trace = open(args.trace, "a") if args.trace else None
    emu = Emulator(master, args.scenario, scenario, args.verbose, trace)

    done = []

    def on_term(signum, frame_):
        done.append(signum)

    def on_usr1(signum, frame_):
        emu.reload_requested = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    signal.signal(signal.SIGUSR1, on_usr1)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)

    if args.link:
        make_link(args.link, path)
    sys.stdout.write(path + "\n")
    sys.stdout.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)

    try:
        while not done:
            timeout = 0.1
            if emu.pending and emu.pending[2] is not None:
                timeout = max(0.0, min(timeout, emu.pending[2] - time.monotonic()))
            try:
                r, _, _ = select.select([master], [], [], timeout)
            except InterruptedError:
                r = []
            if r:
                try:
                    data = os.read(master, 4096)
                except OSError:
                    data = b""
                if data:
                    emu.feed(data)
                else:
                    time.sleep(0.01)
            emu.check_reload()
            if emu.reload_requested:
                emu.check_reload()
            emu.pending_timeout()
    finally:
        if args.link:
            try:
                if os.readlink(args.link) == path:
                    os.unlink(args.link)
            except OSError:
                pass
        os.close(master)
        os.close(slave)
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["image"]:
        ap = argparse.ArgumentParser(prog="pn532_emu.py image",
                                     description="print a Type 2 tag memory image (hex, one page a line)")
        ap.add_argument("--uri")
        ap.add_argument("--uid", default=DEFAULT_UID)
        ap.add_argument("--type", default="NTAG213", choices=sorted(TAG_TYPES))
        a = ap.parse_args(argv[1:])
        spec = {"type": a.type, "uid": a.uid}
        if a.uri is not None:
            spec["uri"] = a.uri
        mem = image_from_spec(spec)
        for p in range(len(mem) // 4):
            print("%02x: %s" % (p, mem[p * 4:p * 4 + 4].hex()))
        return 0
    ap = argparse.ArgumentParser(description="PN532 emulator on a pty for libnfc (see the file's docstring)")
    ap.add_argument("--link", help="make this path a symlink to the pty slave")
    ap.add_argument("--scenario", help="JSON scenario file, re-read when it changes and on SIGUSR1")
    ap.add_argument("--uri", help="without --scenario: a tag with this URI")
    ap.add_argument("--uid", default=DEFAULT_UID, help="without --scenario: the tag's 7-byte UID (hex)")
    ap.add_argument("--type", default="NTAG213", choices=sorted(TAG_TYPES))
    ap.add_argument("--no-ndef", action="store_true", help="without --scenario: a tag with no NDEF")
    ap.add_argument("--empty", action="store_true", help="without --scenario: an empty field")
    ap.add_argument("--trace", help="append each host command (hex) to this file")
    ap.add_argument("-v", "--verbose", action="store_true", help="log commands to stderr")
    return run(ap.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
