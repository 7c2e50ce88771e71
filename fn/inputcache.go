package fn

import (
	"sync"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	inputv1beta1 "github.com/tenantcluster/function-tenantcluster/apis/input/v1beta1"
)

// inputCacheSize bounds the decoded Inputs kept: a platform has one Input per Composition
// revision in use, a handful; a stream of distinct Inputs only empties the cache.
const inputCacheSize = 16

// inputCache keeps each distinct Input decoded, defaulted and validated. Crossplane sends the
// same Input on every call of a Composition, and decoding it (through JSON, with its validation)
// was a fifth of a call's time; comparing it with the few Inputs seen (sameStruct, which
// allocates nothing) costs far less than decoding it, or than marshalling it into a key. Every
// call gets its own deep copy: nothing a call does to its tenant's Input can reach another call.
type inputCache struct {
	mu      sync.Mutex
	decoded []cachedInput
}

type cachedInput struct {
	raw *structpb.Struct
	in  *inputv1beta1.Input
	err error
}

// get decodes req's Input, or returns a copy of the one decoded before.
func (c *inputCache) get(req *fnv1.RunFunctionRequest) (*inputv1beta1.Input, error) {
	raw := req.GetInput()
	c.mu.Lock()
	var hit *cachedInput
	for i := range c.decoded {
		if sameStruct(c.decoded[i].raw, raw) {
			hit = &c.decoded[i]
			break
		}
	}
	var entry cachedInput
	if hit != nil {
		entry = *hit
	}
	c.mu.Unlock()
	if hit == nil {
		if raw != nil {
			entry.raw, _ = proto.Clone(raw).(*structpb.Struct)
		}
		entry.in, entry.err = decodeInput(req)
		c.mu.Lock()
		if len(c.decoded) >= inputCacheSize {
			c.decoded = nil
		}
		c.decoded = append(c.decoded, entry)
		c.mu.Unlock()
	}
	if entry.err != nil {
		return nil, entry.err
	}
	return entry.in.DeepCopy(), nil
}

// sameStruct reports whether two Structs hold the same JSON value, walking both without
// allocating (proto.Equal and a deterministic Marshal both allocate on every call).
func sameStruct(a, b *structpb.Struct) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if len(a.GetFields()) != len(b.GetFields()) {
		return false
	}
	for k, va := range a.GetFields() {
		vb, ok := b.GetFields()[k]
		if !ok || !sameValue(va, vb) {
			return false
		}
	}
	return true
}

func sameValue(a, b *structpb.Value) bool {
	switch va := a.GetKind().(type) {
	case *structpb.Value_NullValue:
		_, ok := b.GetKind().(*structpb.Value_NullValue)
		return ok
	case *structpb.Value_NumberValue:
		vb, ok := b.GetKind().(*structpb.Value_NumberValue)
		return ok && va.NumberValue == vb.NumberValue
	case *structpb.Value_StringValue:
		vb, ok := b.GetKind().(*structpb.Value_StringValue)
		return ok && va.StringValue == vb.StringValue
	case *structpb.Value_BoolValue:
		vb, ok := b.GetKind().(*structpb.Value_BoolValue)
		return ok && va.BoolValue == vb.BoolValue
	case *structpb.Value_StructValue:
		vb, ok := b.GetKind().(*structpb.Value_StructValue)
		return ok && sameStruct(va.StructValue, vb.StructValue)
	case *structpb.Value_ListValue:
		vb, ok := b.GetKind().(*structpb.Value_ListValue)
		if !ok || len(va.ListValue.GetValues()) != len(vb.ListValue.GetValues()) {
			return false
		}
		for i, x := range va.ListValue.GetValues() {
			if !sameValue(x, vb.ListValue.GetValues()[i]) {
				return false
			}
		}
		return true
	}
	return a.GetKind() == nil && b.GetKind() == nil
}
