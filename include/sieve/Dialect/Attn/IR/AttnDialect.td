//===- AttnDialect.td - Attention dialect definition -------*- tablegen -*-===//
//
// Part of Sieve. The `attn` dialect holds attention as one op, so that the
// sparsification passes (LogSparse, token sparsity) and the flash-style
// lowering can reason about it without pattern-matching matmul chains.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_DIALECT_ATTN_ATTNDIALECT_TD
#define SIEVE_DIALECT_ATTN_ATTNDIALECT_TD

include "mlir/IR/OpBase.td"

def Attn_Dialect : Dialect {
  let name = "attn";
  let cppNamespace = "::sieve::attn";
  let summary = "Attention as a first-class op, and its sparse forms";
  let description = [{
    The `attn` dialect represents scaled dot-product attention as a single op
    instead of the `matmul -> softmax -> matmul` chain that exporters emit.
    Holding the whole computation lets Sieve choose how to run it: dense and
    flash-style (online softmax, never an `L x L` buffer), LogSparse (each
    query sees `O(log L)` keys), or token-sparse (ZipVL: only the keys whose
    probe scores reach a cumulative threshold).
  }];
  let useDefaultAttributePrinterParser = 1;
}

class Attn_Op<string mnemonic, list<Trait> traits = []>
    : Op<Attn_Dialect, mnemonic, traits>;

#endif // SIEVE_DIALECT_ATTN_ATTNDIALECT_TD
