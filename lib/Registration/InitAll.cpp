//===- InitAll.cpp - Register everything Sieve adds to MLIR ---------------===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#include "sieve/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "sieve/Dialect/Attn/IR/AttnDialect.h"
#include "sieve/Dialect/Patch/IR/PatchDialect.h"
#include "sieve/Dialect/Tern/IR/TernDialect.h"
#include "sieve/Dialect/Tern/Transforms/Passes.h"
#include "sieve/Pipelines/Pipelines.h"
#include "sieve/Transforms/Passes.h"

void sieve::registerSieveDialects(mlir::DialectRegistry &registry) {
  registry.insert<attn::AttnDialect, patch::PatchDialect, tern::TernDialect>();
}

void sieve::registerAllDialects(mlir::DialectRegistry &registry) {
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
  registerSieveDialects(registry);
}

void sieve::registerSievePassesAndPipelines() {
  registerSievePasses();
  tern::registerSieveTernPasses();
  registerSievePipelines();
}
