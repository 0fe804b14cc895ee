//===- EntryFunction.cpp - Find and describe the model's entry ------------===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#include "sieve/Transforms/EntryFunction.h"
#include "sieve/Transforms/Passes.h"

#include "llvm/ADT/StringExtras.h"

using namespace mlir;

func::FuncOp sieve::getEntryFunction(ModuleOp module) {
  for (auto func : module.getOps<func::FuncOp>())
    if (func->hasAttr(attrs::kEntry))
      return func;
  return {};
}

FailureOr<func::FuncOp> sieve::findEntryFunction(ModuleOp module,
                                                 StringRef name) {
  if (!name.empty()) {
    auto func = module.lookupSymbol<func::FuncOp>(name);
    if (!func || func.isExternal())
      return module.emitError("no function '")
             << name << "' with a body to compile in this module";
    return func;
  }
  if (func::FuncOp marked = getEntryFunction(module))
    return marked;
  SmallVector<func::FuncOp> candidates;
  for (auto func : module.getOps<func::FuncOp>())
    if (!func.isExternal() && func.isPublic())
      candidates.push_back(func);
  if (candidates.size() == 1)
    return candidates.front();
  if (candidates.empty())
    return module.emitError("the module has no public function with a body "
                            "to compile");
  InFlightDiagnostic diag =
      module.emitError("the module has ")
      << candidates.size()
      << " public functions; choose the entry point with --entry=<name>";
  for (func::FuncOp func : candidates)
    diag.attachNote(func.getLoc()) << "candidate '" << func.getName() << "'";
  return diag;
}

bool sieve::isCIdentifier(StringRef name) {
  return !name.empty() && (llvm::isAlpha(name[0]) || name[0] == '_') &&
         llvm::all_of(name,
                      [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

std::string sieve::describeLocation(Location loc) {
  if (auto fileLoc = dyn_cast<FileLineColLoc>(loc)) {
    StringRef file = fileLoc.getFilename().getValue();
    file = file.substr(file.find_last_of('/') + 1);
    return (file + ":" + Twine(fileLoc.getLine()) + ":" +
            Twine(fileLoc.getColumn()))
        .str();
  }
  if (auto nameLoc = dyn_cast<NameLoc>(loc))
    return nameLoc.getName().str();
  if (auto fused = dyn_cast<FusedLoc>(loc)) {
    for (Location inner : fused.getLocations()) {
      std::string text = describeLocation(inner);
      if (!text.empty())
        return text;
    }
  }
  if (auto callSite = dyn_cast<CallSiteLoc>(loc))
    return describeLocation(callSite.getCallee());
  return "";
}

std::string sieve::describeOp(Operation *op) {
  std::string where = describeLocation(op->getLoc());
  std::string name = op->getName().getStringRef().str();
  return where.empty() ? name : name + " at " + where;
}

SmallVector<func::FuncOp> sieve::getCompiledFunctions(ModuleOp module) {
  SmallVector<func::FuncOp> funcs;
  if (func::FuncOp entry = getEntryFunction(module))
    funcs.push_back(entry);
  else
    for (auto func : module.getOps<func::FuncOp>())
      if (!func.isExternal())
        funcs.push_back(func);
  return funcs;
}
