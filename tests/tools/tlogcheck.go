// tlogcheck.go -- keten's Merkle tree, proofs and signed checkpoints checked
// by code that is not keten's: Go's golang.org/x/mod/sumdb/tlog and
// sumdb/note (Debian golang-golang-x-mod-dev).  Run by tests/e2e/tlog_interop.sh.
//
//	tlogcheck verify FILE   FILE is the JSON of `tlog_vectors emit N`: opens
//	                        its checkpoint note with its verifier key, builds
//	                        the tree of the same N leaves with tlog, compares
//	                        the root, and checks every inclusion and
//	                        consistency proof with tlog.CheckRecord and
//	                        tlog.CheckTree and against tlog's own proofs.
//	tlogcheck sign N        prints a verifier key line, then a checkpoint of
//	                        the tree of N leaves signed by a fresh Go key
//	                        (for keten to open).
//	tlogcheck inclusion VKEY NOTE PROOF
//	                        NOTE is `keten checkpoint` output, PROOF `keten
//	                        proof inclusion --json`: opens the note with the
//	                        verifier key VKEY, checks that the leaf hash is
//	                        tlog.RecordHash of the entry's header and the
//	                        proof with tlog.CheckRecord against the note's root.
//	tlogcheck consistency VKEY OLDNOTE NEWNOTE PROOF
//	                        PROOF is `keten proof consistency --json`: checks
//	                        it with tlog.CheckTree between the two notes' roots.
//
// Leaf i is the bytes "keten test leaf <i>".
package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type proof struct {
	Index  int64    `json:"index"`
	Size   int64    `json:"size"`
	Old    int64    `json:"old"`
	New    int64    `json:"new"`
	Hashes []string `json:"hashes"`
}

type vectors struct {
	N           int64   `json:"n"`
	Origin      string  `json:"origin"`
	Vkey        string  `json:"vkey"`
	Note        string  `json:"note"`
	Inclusion   []proof `json:"inclusion"`
	Consistency []proof `json:"consistency"`
}

func die(f string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "tlogcheck: "+f+"\n", a...)
	os.Exit(1)
}

func leaf(i int64) []byte { return []byte(fmt.Sprintf("keten test leaf %d", i)) }

// tree builds the stored hashes of n leaves with tlog.
func tree(n int64) tlog.HashReaderFunc {
	var stored []tlog.Hash
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	for i := int64(0); i < n; i++ {
		h, err := tlog.StoredHashes(i, leaf(i), r)
		if err != nil {
			die("StoredHashes: %v", err)
		}
		stored = append(stored, h...)
	}
	return r
}

func hashes(in []string) []tlog.Hash {
	out := make([]tlog.Hash, len(in))
	for i, s := range in {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b) != tlog.HashSize {
			die("hash %q is not base64 of 32 bytes", s)
		}
		copy(out[i][:], b)
	}
	return out
}

func same(a, b []tlog.Hash) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func verify(file string) {
	data, err := os.ReadFile(file)
	if err != nil {
		die("%v", err)
	}
	var v vectors
	if err := json.Unmarshal(data, &v); err != nil {
		die("%s: %v", file, err)
	}
	verifier, err := note.NewVerifier(v.Vkey)
	if err != nil {
		die("verifier key %q: %v", v.Vkey, err)
	}
	n, err := note.Open([]byte(v.Note), note.VerifierList(verifier))
	if err != nil {
		die("note.Open: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[0] != v.Origin {
		die("checkpoint text %q: not origin, size, root", n.Text)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size != v.N {
		die("checkpoint size %q, want %d", lines[1], v.N)
	}
	root := hashes([]string{lines[2]})[0]
	r := tree(v.N)
	th, err := tlog.TreeHash(v.N, r)
	if err != nil || th != root {
		die("the checkpoint's root %v is not tlog's root %v of %d leaves", root, th, v.N)
	}
	for _, p := range v.Inclusion {
		t, err := tlog.TreeHash(p.Size, r)
		if err != nil {
			die("%v", err)
		}
		ours := tlog.RecordProof(hashes(p.Hashes))
		if err := tlog.CheckRecord(ours, p.Size, t, p.Index, tlog.RecordHash(leaf(p.Index))); err != nil {
			die("inclusion of %d in %d: tlog.CheckRecord: %v", p.Index, p.Size, err)
		}
		theirs, err := tlog.ProveRecord(p.Size, p.Index, r)
		if err != nil || !same(ours, theirs) {
			die("inclusion of %d in %d: not tlog's proof", p.Index, p.Size)
		}
	}
	for _, p := range v.Consistency {
		told, _ := tlog.TreeHash(p.Old, r)
		tnew, _ := tlog.TreeHash(p.New, r)
		ours := tlog.TreeProof(hashes(p.Hashes))
		if err := tlog.CheckTree(ours, p.New, tnew, p.Old, told); err != nil {
			die("consistency %d -> %d: tlog.CheckTree: %v", p.Old, p.New, err)
		}
		theirs, err := tlog.ProveTree(p.New, p.Old, r)
		if err != nil || !same(ours, theirs) {
			die("consistency %d -> %d: not tlog's proof", p.Old, p.New)
		}
	}
	fmt.Printf("tlogcheck: %d leaves, note of %s, %d inclusion and %d consistency proofs: ok\n",
		v.N, n.Sigs[0].Name, len(v.Inclusion), len(v.Consistency))
}

func sign(n int64) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "go.example/log")
	if err != nil {
		die("%v", err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		die("%v", err)
	}
	th, err := tlog.TreeHash(n, tree(n))
	if err != nil {
		die("%v", err)
	}
	text := fmt.Sprintf("go.example/log\n%d\n%s\n", n, base64.StdEncoding.EncodeToString(th[:]))
	msg, err := note.Sign(&note.Note{Text: text}, signer)
	if err != nil {
		die("%v", err)
	}
	fmt.Printf("%s\n%s", vkey, msg)
}

type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
}

// openCheckpoint opens a signed checkpoint file with the verifier key text.
func openCheckpoint(vkey, file string) checkpoint {
	verifier, err := note.NewVerifier(strings.TrimSpace(vkey))
	if err != nil {
		die("verifier key: %v", err)
	}
	msg, err := os.ReadFile(file)
	if err != nil {
		die("%v", err)
	}
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		die("%s: note.Open: %v", file, err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[0] != verifier.Name() {
		die("%s: not a checkpoint of %s", file, verifier.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		die("%s: size %q", file, lines[1])
	}
	return checkpoint{lines[0], size, hashes([]string{lines[2]})[0]}
}

func readJSON(file string, v interface{}) {
	data, err := os.ReadFile(file)
	if err != nil {
		die("%v", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		die("%s: %v", file, err)
	}
}

func cliInclusion(vkey, noteFile, proofFile string) {
	cp := openCheckpoint(vkey, noteFile)
	var p struct {
		Seq, Index, TreeSize int64
		LeafHash, Header     string
		Hashes               []string
	}
	readJSON(proofFile, &p)
	header, err := base64.StdEncoding.DecodeString(p.Header)
	if err != nil {
		die("header: %v", err)
	}
	leaf := hashes([]string{p.LeafHash})[0]
	if tlog.RecordHash(header) != leaf {
		die("the leaf hash is not tlog.RecordHash of the entry's header")
	}
	if p.TreeSize != cp.size || p.Index != p.Seq-1 {
		die("proof of leaf %d in %d, checkpoint of %d", p.Index, p.TreeSize, cp.size)
	}
	if err := tlog.CheckRecord(tlog.RecordProof(hashes(p.Hashes)), cp.size, cp.root, p.Index, leaf); err != nil {
		die("tlog.CheckRecord: %v", err)
	}
	fmt.Printf("tlogcheck: seq %d is in the signed tree of %d of %s: ok\n", p.Seq, cp.size, cp.origin)
}

func cliConsistency(vkey, oldFile, newFile, proofFile string) {
	o, n := openCheckpoint(vkey, oldFile), openCheckpoint(vkey, newFile)
	var p struct {
		OldSize, NewSize int64
		Hashes           []string
	}
	readJSON(proofFile, &p)
	if p.OldSize != o.size || p.NewSize != n.size {
		die("proof %d -> %d, checkpoints %d and %d", p.OldSize, p.NewSize, o.size, n.size)
	}
	if err := tlog.CheckTree(tlog.TreeProof(hashes(p.Hashes)), n.size, n.root, o.size, o.root); err != nil {
		die("tlog.CheckTree: %v", err)
	}
	fmt.Printf("tlogcheck: the signed tree of %d is a prefix of the signed tree of %d: ok\n", o.size, n.size)
}

func main() {
	if len(os.Args) == 5 && os.Args[1] == "inclusion" {
		cliInclusion(os.Args[2], os.Args[3], os.Args[4])
		return
	}
	if len(os.Args) == 6 && os.Args[1] == "consistency" {
		cliConsistency(os.Args[2], os.Args[3], os.Args[4], os.Args[5])
		return
	}
	if len(os.Args) == 3 && os.Args[1] == "verify" {
		verify(os.Args[2])
		return
	}
	if len(os.Args) == 3 && os.Args[1] == "sign" {
		n, err := strconv.ParseInt(os.Args[2], 10, 64)
		if err != nil || n < 0 {
			die("sign N: %q is not a size", os.Args[2])
		}
		sign(n)
		return
	}
	die("usage: tlogcheck verify FILE | sign N | inclusion VKEY NOTE PROOF | consistency VKEY OLD NEW PROOF")
}
