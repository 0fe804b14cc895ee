//===- PatchDialect.td - Patch-based inference dialect -----*- tablegen -*-===//
//
// Part of Sieve. The `patch` dialect expresses MCUNetV2-style patch-based
// inference: the early, activation-heavy layers of a CNN run on one spatial
// patch of the image at a time, so that peak SRAM fits a budget.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_DIALECT_PATCH_PATCHDIALECT_TD
#define SIEVE_DIALECT_PATCH_PATCHDIALECT_TD

include "mlir/IR/OpBase.td"

def Patch_Dialect : Dialect {
  let name = "patch";
  let cppNamespace = "::sieve::patch";
  let summary = "Patch-by-patch execution of convolution stages";
  let description = [{
    Ops of the `patch` dialect describe which part of a feature map a patch
    of a convolution stage reads (its receptive field, with halo) and how
    image borders are padded, so that running a stage patch by patch gives
    exactly the layer-by-layer result while only one patch's activations are
    alive at a time.
  }];
}

class Patch_Op<string mnemonic, list<Trait> traits = []>
    : Op<Patch_Dialect, mnemonic, traits>;

#endif // SIEVE_DIALECT_PATCH_PATCHDIALECT_TD
