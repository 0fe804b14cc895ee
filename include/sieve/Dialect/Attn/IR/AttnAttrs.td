//===- AttnAttrs.td - Attributes of the attn dialect -------*- tablegen -*-===//
//
// Part of Sieve. The operand layout and the sparse patterns. A pattern is
// structure, not a mask: the exact definitions live in one MLIR-free class,
// sieve::AttentionPattern (include/sieve/Analysis/AttentionPattern.h), which
// the verifier, the raising, the report and the lowering share.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_DIALECT_ATTN_ATTNATTRS_TD
#define SIEVE_DIALECT_ATTN_ATTNATTRS_TD

include "sieve/Dialect/Attn/IR/AttnDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Attn_Layout : I32EnumAttr<"Layout", "order of the length and head dims", [
    I32EnumAttrCase<"bhld", 0>,
    I32EnumAttrCase<"blhd", 1>
  ]> {
  let cppNamespace = "::sieve::attn";
  let genSpecializedAttr = 0;
}

def Attn_LayoutAttr : EnumAttr<Attn_Dialect, Attn_Layout, "layout"> {
  let summary = "operand layout: [B..., H, L, D] (bhld) or [B..., L, H, D] (blhd)";
  let assemblyFormat = "`<` $value `>`";
}

class Attn_Attr<string name, string attrMnemonic>
    : AttrDef<Attn_Dialect, name> {
  let mnemonic = attrMnemonic;
}

def Attn_LogSparseAttr : Attn_Attr<"LogSparse", "logsparse"> {
  let summary = "the LogSparse pattern (Li et al. 2019) and its variants";
  let description = [{
    Positions are 0-indexed; `p` is a query's position among the keys (query
    row `i` of `Lq` queries and `Lk` keys sits at `p = i + Lk - Lq`).

    - `#attn.logsparse`: `p` keeps `p` and `p - 2^k` for every `k >= 0` with
      `2^k <= p`. Row 0 keeps only itself. Rows 0..9 keep
      `{0} {1,0} {2,1,0} {3,2,1} {4,3,2,0} {5,4,3,1} {6,5,4,2} {7,6,5,3}
      {8,7,6,4,0} {9,8,7,5,1}`: `2 + floor(log2 p)` keys for `p >= 1`.
    - `#attn.logsparse<local = W>` (`W >= 1`): a dense window of `W` keys
      ending at `p` (`p, p-1, ..., p-W+1`), then LogSparse steps from the
      window's edge: `p - (W-1) - 2^k`. With `W = 3`, row 10 keeps
      `{10,9,8, 7,6,4,0}`. `W = 1` is plain LogSparse.
    - `#attn.logsparse<restart = S>` (`S >= 1`): the keys are split into
      sub-sequences of `S` (`[0,S)`, `[S,2S)`, ...) and LogSparse is applied
      inside each: `p` keeps `p - d` for `d = 0` and `d = 2^k <= p mod S`.
      With `S = 4`: row 3 keeps `{3,2,1}`, row 4 `{4}`, row 7 `{7,6,5}`.
  }];
  let parameters = (ins "int64_t":$local, "int64_t":$restart);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def Attn_DiagonalsAttr : Attn_Attr<"Diagonals", "diagonals"> {
  let summary = "a set of diagonal offsets (sliding windows among them)";
  let description = [{
    `#attn.diagonals<[d0, d1, ...]>` (strictly increasing, `>= 0`): position
    `p` keeps key `p - d` for every offset `d` with `p - d >= 0`. With
    `[0, 3]`, row 2 keeps `{2}` and row 5 keeps `{5, 2}`.
    `#attn.diagonals<window = W>` is `[0, 1, ..., W-1]`, the sliding window of
    `W` keys ending at `p` (and the form in which such a set is printed). A row
    that keeps no key (possible when 0 is not an offset) gives zeros.
  }];
  let parameters = (ins ArrayRefParameter<"int64_t">:$offsets);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

#endif // SIEVE_DIALECT_ATTN_ATTNATTRS_TD
