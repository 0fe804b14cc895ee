//===- TernDialect.td - Ternary matmul dialect -------------*- tablegen -*-===//
//
// Part of Sieve. The `tern` dialect holds matmuls with ternary weights
// (BitNet b1.58 style) until they are packed and lowered to lookup-table or
// multiply-accumulate kernels for a target.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_DIALECT_TERN_TERNDIALECT_TD
#define SIEVE_DIALECT_TERN_TERNDIALECT_TD

include "mlir/IR/OpBase.td"

def Tern_Dialect : Dialect {
  let name = "tern";
  let cppNamespace = "::sieve::tern";
  let summary = "Matmuls with ternary {-1, 0, +1} weights";
  let description = [{
    Weights restricted to `{-1, 0, +1}` need no multiplier: partial sums of
    small activation groups can be tabulated once and indexed by packed
    weight codes (T-MAC, bitnet.cpp), or weights can be packed at 2 or 1.6
    bits and fed to a multiply-accumulate kernel. The `tern` ops carry the
    weights as constants so that packing is a compile-time transformation.
    docs/ternary.md describes the layouts, the kernels and how one is chosen.
  }];
  let useDefaultAttributePrinterParser = 1;
}

class Tern_Op<string mnemonic, list<Trait> traits = []>
    : Op<Tern_Dialect, mnemonic, traits>;

#endif // SIEVE_DIALECT_TERN_TERNDIALECT_TD
