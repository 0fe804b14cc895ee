//===- sieve-opt.cpp - mlir-opt with Sieve's dialects and passes ----------===//
//
// Part of Sieve. Every upstream dialect and pass plus Sieve's, so that any
// stage of sieve-compile (saved with --save-stages) can be replayed, and
// --mlir-print-ir-after-all shows each step.
//
//===----------------------------------------------------------------------===//

#include "sieve/InitAll.h"
#include "sieve/Support/ToolSupport.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  sieve::registerSievePassesAndPipelines();
  mlir::DialectRegistry registry;
  sieve::registerAllDialects(registry);
  sieve::installFatalErrorHandler("sieve-opt");
  return sieve::runWithLargeStack([&] {
    return mlir::asMainReturnCode(
        mlir::MlirOptMain(argc, argv, "Sieve optimizer driver\n", registry));
  });
}
