//===- Passes.td - Sieve's target-independent passes -------*- tablegen -*-===//
//
// Part of Sieve. The passes of the compile pipeline that do not belong to one
// of Sieve's dialects: checking and recording the model's interface, the
// static memory arena, and the C entry point.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_TRANSFORMS_PASSES_TD
#define SIEVE_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def VerifyInput : Pass<"sieve-verify-input", "mlir::ModuleOp"> {
  let summary = "Check that a model is something Sieve can compile";
  let description = [{
    Rejects, with a diagnostic at the offending op, what the rest of the
    pipeline cannot handle: a module without a unique entry function,
    tensors with dynamic or unranked shapes, without elements, or larger
    than one object can be on the target (`max-object-bytes`, sizes counted
    without wrapping), element types outside
    f32/f16/bf16/i1/i8/i16/i32/i48/i64/index (and at the entry point's
    interface, those a C caller can pass: not i48, not index), ops from
    dialects that Sieve does not lower (`tosa`, `linalg`, `tensor`, `arith`,
    `math`, `func`, `scf`, `bufferization`, `ml_program` constants and
    `cf.assert` are accepted), and IR that MLIR 22's verifiers let through
    but its passes crash on (negative `tensor.pad` paddings, a
    `tosa.rescale` that changes the shape, reassociations out of order).

    ```mlir
    // error: 'tosa.add' op has a dynamic shape (tensor<?x8xf32>); Sieve
    //        compiles static shapes only
    %0 = tosa.add %a, %b : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
    ```
  }];
  let options = [
    Option<"entry", "entry", "std::string", /*default=*/"\"\"",
           "Name of the entry function (default: the only public function "
           "with a body)">,
    Option<"maxObjectBytes", "max-object-bytes", "uint64_t",
           /*default=*/"uint64_t(1) << 47",
           "Largest tensor in bytes that the target can address (the "
           "target table's limit; 2^47 on 64-bit CPUs, 2^31-1 on 32-bit MCUs)">,
    Option<"indexBitwidth", "index-bitwidth", "unsigned", /*default=*/"64",
           "Bits of an `index` element on the target">,
    Option<"tokenSparse", "token-sparse", "bool", /*default=*/"false",
           "Accept the token-sparse attn ops (--attention=token-sparse "
           "lowers them; docs/token-sparse.md)">
  ];
}

def RecordInterface : Pass<"sieve-record-interface", "mlir::ModuleOp"> {
  let summary = "Mark the entry function and record its inputs and outputs";
  let description = [{
    Marks the entry function with `sieve.entry`, makes every other function
    private (so that inlining and symbol DCE leave one function), and stores
    what the C header must say about each input and output while the
    exporter's ops are still there: its name, shape, element type and, for
    int8 models, the quantisation zero point (read from the `tosa.rescale`
    that consumes an input or produces an output) and scale (from a
    `sieve.scale` argument or result attribute, since TOSA does not carry it).
    An importer that knows them states the name and zero point as
    `sieve.name` and `sieve.zero_point` argument or result attributes, which
    take precedence (the TFLite importer does).
    Inputs are marked `bufferization.writable = false`: the C interface
    promises that they are only read, so bufferization copies an input that
    the model would update in place.

    ```mlir
    func.func @main(%arg0: tensor<1x8xi8>) -> tensor<1x8xi8>
        attributes {sieve.entry,
                    sieve.inputs = [{name = "in0", zero_point = -128 : i64} ],
                    sieve.outputs = [{name = "out0", zero_point = 3 : i64} ]}
    ```
  }];
  let options = [
    Option<"entry", "entry", "std::string", /*default=*/"\"\"",
           "Name of the entry function (default: the only public function "
           "with a body)">
  ];
}

def ApproximateMath : Pass<"sieve-approximate-math", "mlir::func::FuncOp"> {
  let summary = "Replace transcendental math ops by polynomial approximations";
  let description = [{
    Rewrites `math.exp`, `math.tanh`, `math.log`, `math.erf` and friends into
    arithmetic (upstream's polynomial approximations, accurate to a few ULP
    in f32), and `math.floor` into an exact integer round trip, so that
    compiled models call no libm: a bare-metal MCU image has none, and the
    same code runs on every target.

    ```mlir
    %y = math.exp %x : f32   // becomes a range reduction and a polynomial
    ```
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::math::MathDialect",
                           "mlir::vector::VectorDialect"];
}

def CloneSharedInits : Pass<"sieve-clone-shared-inits", "mlir::func::FuncOp"> {
  let summary = "Give every destination operand its own initial value";
  let description = [{
    CSE merges identical `linalg.fill`s and `tensor.empty`s, so that several
    matmuls accumulate into "the same" zero tensor. Bufferization must then
    keep the shared zeros alive and copy them for every op that writes its
    result in place: one extra buffer for the whole span, and a copy each.
    This pass clones such an init (a `tensor.empty`, a `linalg.fill` or an
    elementwise broadcast of constants) for each destination that uses it,
    right before that use.

    ```mlir
    %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
    %a = linalg.matmul ins(...) outs(%z : tensor<4x4xf32>) -> tensor<4x4xf32>
    %b = linalg.matmul ins(...) outs(%z : tensor<4x4xf32>) -> tensor<4x4xf32>
    // becomes: each matmul gets its own tensor.empty and fill
    ```
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect"];
}

def FillSplatResults : Pass<"sieve-fill-splat-results", "mlir::func::FuncOp"> {
  let summary = "Write returned splat constants with a fill";
  let description = [{
    Bufferized as it is, a returned constant becomes a global that the entry
    point copies into the output buffer: every element is written out at
    compile time and stored in flash, only to be copied once. A splat (one
    value everywhere, possibly reshaped) becomes a `linalg.fill` of the
    output instead, which costs neither flash nor arena, whatever its size.

    ```mlir
    %0 = arith.constant dense<1> : tensor<1x65536x65536x4xi8>
    return %0 : tensor<1x65536x65536x4xi8>
    // becomes
    %c1 = arith.constant 1 : i8
    %e = tensor.empty() : tensor<1x65536x65536x4xi8>
    %1 = linalg.fill ins(%c1 : i8) outs(%e : tensor<1x65536x65536x4xi8>) -> tensor<1x65536x65536x4xi8>
    return %1 : tensor<1x65536x65536x4xi8>
    ```
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect"];
}

def ReadInsertedSlices
    : Pass<"sieve-read-inserted-slices", "mlir::func::FuncOp"> {
  let summary = "Read a tensor inserted as a slice from where it was inserted";
  let description = [{
    Canonicalisation folds an `extract_slice` of an `insert_slice` at the
    same offsets into the inserted tensor. When that read comes after the
    insertion, one-shot bufferization sees the inserted tensor read after
    the buffer it lives in was written (by the insertion, which copies
    nothing once in place) and computes it into a buffer of its own, with
    a copy in and out: a patch stage's last patch, read again by the next
    stage's residual add, placed 576 B more than planned. This pass makes
    such reads extract the slice from the insertion's result again, where
    every user of that result only extracts slices (nothing writes into it
    later). It runs right before one-shot bufferization: a greedy rewrite
    after it (`empty-tensor-to-alloc-tensor` folds every op it visits)
    would fold the extraction away again.

    ```mlir
    %t = tensor.insert_slice %p into %d[0, 24, 30, 0] [1, 12, 6, 8] [1, 1, 1, 1]
    %u = linalg.generic ins(%p : tensor<1x12x6x8xi8>) ...
    // becomes
    %t = tensor.insert_slice %p into %d[0, 24, 30, 0] [1, 12, 6, 8] [1, 1, 1, 1]
    %q = tensor.extract_slice %t[0, 24, 30, 0] [1, 12, 6, 8] [1, 1, 1, 1]
    %u = linalg.generic ins(%q : tensor<1x12x6x8xi8>) ...
    ```
  }];
  let dependentDialects = ["mlir::tensor::TensorDialect"];
}

def CopyRepeatedResults
    : Pass<"sieve-copy-repeated-results", "mlir::func::FuncOp"> {
  let summary = "Give each output of a function its own tensor";
  let description = [{
    A model may return the same tensor twice. Each output is a separate
    caller buffer, so each must be written; upstream's
    `buffer-results-to-out-params` does not handle a buffer returned twice.
    This pass copies every repeated result into a fresh tensor.

    ```mlir
    return %0, %0 : tensor<8xf32>, tensor<8xf32>
    // becomes
    %1 = bufferization.alloc_tensor() copy(%0) : tensor<8xf32>
    return %0, %1 : tensor<8xf32>, tensor<8xf32>
    ```
  }];
  let dependentDialects = ["mlir::bufferization::BufferizationDialect"];
}

def FoldConstants : Pass<"sieve-fold-constants", "mlir::func::FuncOp"> {
  let summary = "Compute linalg ops on constants at compile time";
  let description = [{
    Exporters transform weights at run time: torch-mlir writes every linear
    layer as a `linalg.generic` that transposes the constant weight, then a
    `linalg.matmul`. Computed at run time, the transposed weight needs an
    arena buffer of its size. This pass replaces by a constant every
    all-parallel linalg op (generic or named) whose result is only read as
    an input and whose operands are constants:
    - when they are splats (or scalars), the result is a splat, whatever its
      size: the body is evaluated once with the ops' folders, so a
      transposed, broadcast, cast or scaled splat stays a splat;
    - when a dense constant is only rearranged (transpose, copy), without
      growing, the elements are permuted (up to 2^24 of them).
    Results that another op accumulates into (destination operands) stay
    fills: scratch memory is cheaper to fill than to copy from flash.

    ```mlir
    %w = arith.constant dense<5.000000e-01> : tensor<1000x1024xf32>
    %t = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>,
                                          affine_map<(d0, d1) -> (d0, d1)>], ...}
        ins(%w : tensor<1000x1024xf32>) outs(%e : tensor<1024x1000xf32>) { ... }
    // becomes
    %t = arith.constant dense<5.000000e-01> : tensor<1024x1000xf32>
    ```
  }];
  let dependentDialects = ["mlir::arith::ArithDialect"];
}

def FuseIntoRows : Pass<"sieve-fuse-into-rows", "mlir::func::FuncOp"> {
  let summary = "Compute convolutions and matmuls row by row, fused with their consumers";
  let description = [{
    An int8 convolution produces int32 accumulators that only the following
    requantisation (`tosa.rescale`, lowered to an elementwise `linalg.generic`)
    reads. Computed whole, the accumulator tensor is four times the size of
    the layer's output and dominates peak memory. This pass tiles such an
    elementwise consumer by output rows (its two outermost dimensions for
    rank 3 and more, its first for rank 2) and fuses into the row loop the
    producers that only it uses: the convolution or matmul, the fill or bias
    broadcast that initialises its accumulators, and the `tensor.pad` of its
    input. The accumulators then take one row, and border padding is applied
    per row instead of materialising a padded copy of the input; this is how
    TFLite Micro and CMSIS-NN kernels behave.

    ```mlir
    %acc = linalg.conv_2d_nhwc_fhwc_q ... -> tensor<1x72x72x48xi32>
    %out = linalg.generic ... ins(%acc ...) -> tensor<1x72x72x48xi8>
    // becomes
    %out = scf.for %row = %c0 to %c72 step %c1 iter_args(%o = %init) {
      %acc_row = linalg.conv_2d_nhwc_fhwc_q ... -> tensor<1x1x72x48xi32>
      %out_row = linalg.generic ... ins(%acc_row ...) -> tensor<1x1x72x48xi8>
      scf.yield (tensor.insert_slice %out_row into %o)
    }
    ```
  }];
  let dependentDialects = ["mlir::scf::SCFDialect",
                           "mlir::tensor::TensorDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::affine::AffineDialect",
                           "mlir::arith::ArithDialect"];
}

def ElideCopies : Pass<"sieve-elide-copies", "mlir::func::FuncOp"> {
  let summary = "Remove copies that bufferization leaves behind";
  let description = [{
    Removes copies of a buffer onto itself (what in-place updates of a loop's
    tensor become), and computes outputs directly in the caller's buffers:
    after bufferization and `buffer-results-to-out-params`, an output that
    passes through a reshape ends as a copy from a temporary buffer into the
    output argument. When the temporary is not used after the copy and the
    output argument is not touched before it, the temporary is replaced by a
    view of the output argument and the copy disappears: the arena no longer
    holds the output twice. A copy through a temporary between two disjoint
    parts of one buffer (`copy %a, %t` then `copy %t, %b`, static layouts,
    the temporary used by nothing else; what moving a tensor's rows within
    it bufferizes to, as the window slides of cached row strips do) becomes
    one copy from `%a` to `%b`, without the temporary.

    ```mlir
    %a = memref.alloc() : memref<1x4xi8>
    linalg.generic ... outs(%a : memref<1x4xi8>)
    %c = memref.collapse_shape %a [[0, 1]] : memref<1x4xi8> into memref<4xi8>
    memref.copy %c, %out : memref<4xi8> to memref<4xi8>
    // becomes
    %a = memref.expand_shape %out [[0, 1]] output_shape [1, 4]
        : memref<4xi8> into memref<1x4xi8>
    linalg.generic ... outs(%a : memref<1x4xi8>)
    ```
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect"];
}

def ExpandStridedCopies
    : Pass<"sieve-expand-strided-copies", "mlir::func::FuncOp"> {
  let summary = "Turn copies between non-contiguous buffers into loops";
  let description = [{
    `finalize-memref-to-llvm` lowers a `memref.copy` between contiguous
    buffers to `llvm.memcpy`, but any other copy to a call of `memrefCopy`
    from MLIR's C runner library, which no firmware links. This pass rewrites
    the latter. When the trailing dims of both buffers form contiguous runs
    of at least 16 bytes (a row of a padded window, a patch's rows), it
    loops over the leading dims and copies each run with a contiguous
    `memref.copy`, so each becomes one `llvm.memcpy` rather than a load and
    a store per element; shorter runs become `linalg.copy`, plain loops.

    ```mlir
    memref.copy %in, %sub : memref<1x8x8x4xi8> to memref<1x8x8x4xi8, strided<[400, 40, 4, 1], offset: 44>>
    // becomes, the 8x4 runs being contiguous in both
    scf.for %i = %c0 to %c8 step %c1 {
      %s = memref.subview %in[0, %i, 0, 0] [1, 1, 8, 4] [1, 1, 1, 1] : ... to memref<8x4xi8, strided<[4, 1], offset: ?>>
      %d = memref.subview %sub[0, %i, 0, 0] [1, 1, 8, 4] [1, 1, 1, 1] : ... to memref<8x4xi8, strided<[4, 1], offset: ?>>
      memref.copy %s, %d
    }
    ```
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::scf::SCFDialect"];
}

def PlanMemory : Pass<"sieve-plan-memory", "mlir::ModuleOp"> {
  let summary = "Place every intermediate buffer in one static arena";
  let description = [{
    Runs on bufferized IR. Every `memref.alloc`/`memref.alloca` of the entry
    function becomes a `memref.view` into one arena, passed by the caller as
    a new last argument `memref<Nxi8>`, at an offset chosen from the buffers'
    lifetimes (the range of top-level ops that use the buffer or one of its
    aliases). The result never allocates at run time.

    Placement tries several orders (by size, as TFLite Micro and TinyEngine
    do; by operator breadth; by lifetime) with first-fit and best-fit, and
    keeps the smallest arena. An elementwise op whose input buffer dies where
    its same-sized output buffer is born writes in place. The plan, the
    analytic lower bound (the largest sum of simultaneously live buffers) and
    the op at the peak are recorded in a `sieve.memory_plan` attribute on the
    function; with `memory-budget`, a plan that does not fit is an error at
    the peak op that says by how much.

    ```mlir
    %0 = memref.alloc() : memref<16xf32>
    // becomes, with the arena as the last argument
    %c64 = arith.constant 64 : index
    %0 = memref.view %arena[%c64][] : memref<128xi8> to memref<16xf32>
    ```
  }];
  let options = [
    Option<"alignment", "alignment", "uint64_t", /*default=*/"16",
           "Byte alignment of every buffer offset (and of the arena)">,
    Option<"memoryBudget", "memory-budget", "uint64_t", /*default=*/"0",
           "Largest arena in bytes; 0 means no budget">,
    Option<"strategy", "strategy", "std::string", /*default=*/"\"best\"",
           "Placement: 'best' (smallest of all orders), 'greedy-by-size' "
           "(TFLite Micro's rule), 'greedy-by-breadth' or 'by-lifetime'">,
    Option<"maxArenaBytes", "max-arena-bytes", "uint64_t",
           /*default=*/"uint64_t(1) << 47",
           "Largest arena the target can address, whatever the budget">,
    Option<"flashBudget", "flash-budget", "uint64_t", /*default=*/"0",
           "Largest total of constant globals (weights) in bytes; 0 means "
           "no budget">
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect"];
}

def ExportEntry : Pass<"sieve-export-entry", "mlir::ModuleOp"> {
  let summary = "Give the entry function its C signature";
  let description = [{
    Renames the entry function to `<name>_run` and makes it return an `i32`
    status, after checking that every argument is a statically shaped memref
    with the identity layout, so that the LLVM lowering with bare-pointer
    calling convention gives exactly

    ```c
    int32_t <name>_run(const T *in0, ..., T *out0, ..., void *arena);
    ```

    The status is 0, or k when the k-th run-time check failed first: the
    `cf.assert`s that exporters write (torch-mlir checks shapes and modes
    this way) and that did not fold away become a chain of selects on the
    status; they are recorded in `sieve.checks` for the header and the
    report.

    ```mlir
    cf.assert %ok, "expected a batch of one"
    // becomes
    %c1 = arith.constant 1 : i32
    %none = arith.cmpi eq, %status, %c0 : i32
    %first = arith.select %none, %c1, %status : i32
    %status1 = arith.select %ok, %status, %first : i32
    ```
  }];
  let options = [
    Option<"modelName", "name", "std::string", /*default=*/"\"model\"",
           "Prefix of the C symbols (a C identifier)">
  ];
  let dependentDialects = ["mlir::arith::ArithDialect"];
}

def DropAsserts : Pass<"sieve-drop-asserts", "mlir::func::FuncOp"> {
  let summary = "Remove run-time checks, with a remark for each";
  let description = [{
    For `sieve-compile --asserts=drop`: erases every `cf.assert` (whose
    condition then usually becomes dead code), with a remark that names it,
    instead of turning it into the entry point's status.

    ```mlir
    cf.assert %ok, "expected a batch of one"   // removed
    ```
  }];
}

def LowerAttention : Pass<"sieve-lower-attention", "mlir::ModuleOp"> {
  let summary = "Lower attn.attention flash-style: tiles, online softmax, no Lq x Lk buffer";
  let description = [{
    Rewrites each `attn.attention` on tensors into an `scf.forall` over
    (batch * heads, blocks of `block-q` queries), marked `sieve.parallel`.
    Each iteration walks the keys in blocks of `block-k` with FlashAttention's
    online softmax (running max `m`, running sum `l`, the accumulator
    rescaled by `exp(m_old - m_new)`), and keeps only per-iteration scratch:
    the transposed query block, a `block-k x block-q` score tile, the output
    accumulator and three vectors. Both products are register-blocked outer
    products of `tile-rows` rows by `tile-cols` lanes (vector ops on f32).
    With `causal`, key blocks no query of the block can see are skipped and
    the diagonal block is masked by a vector compare. A query that sees no
    key (causal with Lq > Lk) gets zeros. f16/bf16 operands are computed in
    f32.

    `attn.kept_attention` (token-sparse attention among the kept tokens) is
    lowered the same way, its query blocks and keys bounded by the run-time
    kept count (rows past it are zero and never read).

    ```mlir
    %o = attn.attention %q, %k, %v {scale = 0.125 : f32, causal}
        : tensor<8x4096x64xf32>, tensor<8x4096x64xf32>, tensor<8x4096x64xf32>
        -> tensor<8x4096x64xf32>
    // becomes
    %r = scf.forall (%bh, %blk) in (8, 64) shared_outs(%out = %init) {
      %qt = memref.alloc() : memref<64x64xf32>   // Q block, transposed
      %st = memref.alloc() : memref<64x64xf32>   // S^T, then P^T
      ...
      scf.for %kb = %c0 to %kend step %c64 { ... vector.fma ... }
      ...
    } {sieve.parallel}
    ```
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::math::MathDialect",
    "mlir::memref::MemRefDialect", "mlir::scf::SCFDialect",
    "mlir::tensor::TensorDialect", "mlir::vector::VectorDialect"
  ];
  let options = [
    Option<"blockQ", "block-q", "int64_t", /*default=*/"64",
           "Queries per block (a multiple of tile-rows and tile-cols)">,
    Option<"blockK", "block-k", "int64_t", /*default=*/"64",
           "Keys per block (a multiple of tile-rows)">,
    Option<"tileRows", "tile-rows", "int64_t", /*default=*/"4",
           "Rows of a register tile">,
    Option<"tileCols", "tile-cols", "int64_t", /*default=*/"16",
           "Lanes of a register tile (f32 elements of one vector value)">,
    Option<"fuseQueryConv", "fuse-query-conv", "bool", /*default=*/"true",
           "Convolutional self-attention (attn.query_conv): compute each "
           "query block of the flash lowering from the causal convolution's "
           "input and weights, so that Q never exists">
  ];
}

def RaiseAttention : Pass<"sieve-raise-attention", "mlir::func::FuncOp"> {
  let summary = "Raise exported matmul/softmax/matmul chains to attn ops";
  let description = [{
    Finds `Q K^T -> scale -> (+ mask) -> softmax -> P V` as exporters write it
    and replaces it by one `attn.attention` (or `attn.sparse_attention`), so
    that no later pass needs the L x L score matrix. Matched forms:

    - TOSA: `tosa.matmul`, `tosa.mul` by a constant, `tosa.add` of a mask,
      `reduce_max`/`sub`/`exp`/`reduce_sum`/`reciprocal`/`mul`, `tosa.matmul`;
      the heads split and merged by `tosa.reshape`, K^T by `tosa.transpose`,
      grouped KV heads broadcast by `reshape -> add zeros (or tile) ->
      reshape` (undone: the op gets the Hk heads).
    - linalg on tensors: `linalg.batch_matmul` (or `matmul`, or the
      transposed-B forms), K^T by `linalg.transpose`, scale as a generic
      `mulf`/`divf` by a constant, mask as a generic `addf`, `linalg.softmax`
      or its decomposition into generics (max, `exp(x - max)` fused or not,
      sum, `divf`); heads through `tensor.collapse_shape`/`expand_shape`.

    A constant mask (additive: 0 keeps, <= -1e4 or -inf removes; or i1) that
    is the same for every batch and head is classified with
    `sieve::AttentionPattern`, entry by entry: causal becomes `causal`,
    LogSparse (any variant) and other diagonal sets such as sliding windows
    become `attn.sparse_attention`, a mask that keeps every key disappears;
    any other mask stays an operand. A chain whose shapes do not make a valid
    attention is left alone. When Q, K and V come from transposes that move
    the heads in front of the length and the result goes to the inverse
    transpose, the op reads the exporter's layout (`blhd`) instead. A K^T
    that is not a transpose (a channels-first convolution's output) gets one.

    Convolutional self-attention (Li et al. 2019): when the query or key is
    (through reshapes and transposes) the output of a causal 1-D convolution
    -- kernel k > 1, stride 1, exactly `dilation * (k - 1)` zeros on the left
    of the sequence and none on the right, in the convolution's padding or in
    a `tosa.pad`/`tensor.pad` before it; `tosa.conv2d` with a kernel of 1 in
    H or W, `linalg.conv_1d_nwc_wcf` or `linalg.conv_1d_ncw_fcw` -- the op
    records k as `attn.query_conv` / `attn.key_conv` (i64), for a lowering
    that computes Q and K in the attention's prologue. A convolution that
    also pads on the right sees the future and is not marked.

    ```mlir
    // Before: tosa.matmul, tosa.mul, tosa.add %mask, reduce_max ... tosa.matmul
    %o = attn.attention %q, %k, %v mask %m {scale = 0.0883883461 : f32}
        : tensor<1x12x40x128xf32>, tensor<1x2x40x128xf32>,
          tensor<1x2x40x128xf32>, tensor<1x1x1x40xf32> -> tensor<1x12x40x128xf32>
    ```
  }];
  let dependentDialects = ["sieve::attn::AttnDialect",
                           "mlir::tensor::TensorDialect"];
}

def AttnLogSparse : Pass<"sieve-attn-logsparse", "mlir::func::FuncOp"> {
  let summary = "Replace dense causal attention by LogSparse attention";
  let description = [{
    Rewrites every causal `attn.attention` without a mask into an
    `attn.sparse_attention` with the LogSparse pattern (Li et al. 2019) of
    the chosen variant, so that each query attends to O(log L) keys instead
    of all earlier ones. This **changes the model**: each rewritten op gets a
    warning that says how many of the causal pairs remain, and the attribute
    `attn.from_dense`, which the report shows as `changes_model`. The
    change is estimated by running dense and sparse attention of the op's
    shapes on seeded random inputs (lib/Analysis/AttentionError.cpp): the
    warning and the attribute `attn.dense_error` (report field
    `error_vs_dense`, docs/report.md) carry the max and mean relative error
    of the output rows.
    Attentions that already are sparse (a LogSparse mask that
    sieve-raise-attention recognised) are kept as they are, exactly.

    An attention that is not causal, or has a mask, is an error at the op: a
    causal pattern would let it see fewer keys in a way the model never
    trained for. So is a `window` larger than the keys.

    ```mlir
    %o = attn.attention %q, %k, %v {scale = 0.125 : f32, causal} ...
    // sieve-attn-logsparse{variant=local window=4}:
    %o = attn.sparse_attention %q, %k, %v
        {attn.from_dense, pattern = #attn.logsparse<local = 4>, scale = 0.125 : f32} ...
    ```
  }];
  let options = [
    Option<"variant", "variant", "std::string", /*default=*/"\"plain\"",
           "plain (LogSparse), local (a dense window of `window` keys, then "
           "LogSparse steps) or restart (LogSparse within sub-sequences of "
           "`window` keys)">,
    Option<"window", "window", "int64_t", /*default=*/"0",
           "The local window or the restart length (>= 1; for local and "
           "restart only)">
  ];
  let dependentDialects = ["sieve::attn::AttnDialect"];
}

def OutlineParallel : Pass<"sieve-outline-parallel", "mlir::ModuleOp"> {
  let summary = "Turn loops marked sieve.parallel into task functions";
  let description = [{
    Runs on bufferized IR, before the buffer hoisting passes and
    sieve-plan-memory. Each outermost `scf.forall` marked with the unit
    attribute `sieve.parallel` (docs/parallel.md) becomes a call of a launch
    declaration, and its body a private function
    `(task: index, worker: index, captures..., scratch...)` that recovers
    the loop's indices from the task index (row-major over the iteration
    space). Constants, globals and views that the body uses are recomputed
    in it; what is left to pass must be a scalar or a statically shaped
    identity-layout buffer. Every buffer allocated in the body becomes a
    buffer of `max-workers` slots (each rounded up to 64 bytes) allocated
    before the loop, and the body uses its worker's slot: the arena planner
    places the copies like any buffer, so the arena stays static and exact.
    sieve-lower-parallel-launches turns the launches into calls of the hook.

    With `outline=false` (MCU targets) the loops stay and run serially; their
    scratch moves before them as one copy.

    Either way, the function records `sieve.parallel_plan`: the workers, and
    per loop its location, task count and scratch bytes per worker.

    ```mlir
    scf.forall (%i) in (4) {
      %s = memref.alloc() : memref<2x16xf32>
      ...
    } {sieve.parallel}
    // becomes, with max-workers=2
    %s = memref.alloc() {alignment = 64 : i64} : memref<256xi8>
    call @main_parallel0_launch(..., %s) : (..., memref<256xi8>) -> ()
    func.func private @main_parallel0(%task: index, %worker: index, ...,
                                      %s: memref<256xi8>) {
      %off = arith.muli %worker, %c128 : index
      %v = memref.view %s[%off][] : memref<256xi8> to memref<2x16xf32>
      ...
    }
    ```
  }];
  let options = [
    Option<"maxWorkers", "max-workers", "unsigned", /*default=*/"1",
           "Workers that may run tasks at the same time: copies of scratch">,
    Option<"outline", "outline", "bool", /*default=*/"true",
           "Outline the loops (CPU targets); false leaves them serial (MCUs)">
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::func::FuncDialect",
                           "mlir::LLVM::LLVMDialect",
                           "mlir::memref::MemRefDialect"];
}

def LowerParallelLaunches
    : Pass<"sieve-lower-parallel-launches", "mlir::ModuleOp"> {
  let summary = "Call the parallel-for hook from the parallel entry point";
  let description = [{
    Runs on the LLVM dialect, after the lowering with the bare-pointer
    calling convention. Renames the entry point (the function marked
    `sieve.entry`, which sieve-export-entry named `<name>_run`) to
    `<name>_run_parallel`, appends the arguments `parallel_for` (the hook)
    and `pool`, and defines `<name>_run` again as a call of it with both
    NULL, so that

    ```c
    int32_t <name>_run(inputs..., outputs..., void *arena);
    int32_t <name>_run_parallel(inputs..., outputs..., void *arena,
                                sieve_parallel_for_fn parallel_for,
                                void *pool);
    ```

    Each call of a launch declaration of sieve-outline-parallel stores its
    operands in a context struct on the stack and calls
    `parallel_for(pool, num_tasks, max_workers, task_fn, ctx)`, where the
    internal `task_fn(ctx, task, worker)` loads them and calls the outlined
    body; a NULL hook calls an internal serial loop instead.
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

def PlanPatches : Pass<"sieve-plan-patches", "mlir::ModuleOp"> {
  let summary = "Choose patch-based stages so that the activations fit a budget";
  let description = [{
    Runs on linalg on tensors (after `lower-tosa`). Reads the network's
    layers from the indexing maps of its ops (a layer is a reduction with
    the padding before it and the elementwise ops after it, or elementwise
    ops alone), then searches plans: cuts of the layers into stages, each run
    whole or patch by patch over a grid of tiles of its output (square,
    non-square, row or column strips, down to single pixels), with the
    overlap of neighbouring patches recomputed or cached. The plan with the
    fewest MACs whose peak (under `rule`) fits `memory-budget` wins; with
    `mode=auto`, only when the plain plan does not fit. `split` and `grid`
    force the stages and their grid.

    Each chosen stage becomes a `patch.stage` op holding its ops, and the
    function gets a `sieve.patch_plan` attribute: the rule, the plain and
    planned peaks and MACs, the MAC overhead, the stages and the Pareto front
    of (peak, MACs) points the search visited. When no plan fits, the error
    is at the op at the peak of the smallest plan and gives the budget and
    that plan's peak.

    ```mlir
    %a = linalg.conv_2d_nhwc_fhwc_q ...
    %b = linalg.generic ...  // requantise
    // becomes
    %b = patch.stage(%x) grid [4, 4] tile [28, 28] halo [...]
        strategy "recompute" : (...) -> ... {
      ...
    }
    ```
  }];
  let options = [
    Option<"memoryBudget", "memory-budget", "uint64_t", /*default=*/"0",
           "Largest peak in bytes; 0 means no budget">,
    Option<"rule", "rule", "std::string", /*default=*/"\"sieve\"",
           "How the peak is counted: 'sieve' (the arena, with row scratch), "
           "'mcunetv2', 'mcunetv2-inplace' or 'msf-cnn'">,
    Option<"mode", "mode", "std::string", /*default=*/"\"auto\"",
           "'auto' (patch only when the plain plan does not fit), 'on' (the "
           "fewest MACs that fit, maybe plain) or 'off'">,
    Option<"split", "split", "std::string", /*default=*/"\"\"",
           "Forced patched stages as layer ranges, e.g. '0-9' or '0-5,7-9'">,
    Option<"grid", "grid", "std::string", /*default=*/"\"\"",
           "Forced grid of the forced stages, rows x columns, e.g. '4x4'">,
    Option<"strategies", "strategies", "std::string",
           /*default=*/"\"recompute,cache\"",
           "Overlap strategies to search: 'recompute', 'cache' or both; "
           "'cache-grid' adds cached columns on grids of several columns">,
    Option<"maxStageLayers", "max-stage-layers", "unsigned",
           /*default=*/"24", "Longest patched stage searched, in layers">,
    Option<"materialize", "materialize", "bool", /*default=*/"true",
           "Wrap the chosen stages in patch.stage ops">,
    Option<"reportFile", "report-file", "std::string", /*default=*/"\"\"",
           "Write the plan as JSON to this file">,
    Option<"alignment", "alignment", "uint64_t", /*default=*/"1",
           "Byte alignment of the arena's buffers, as sieve-plan-memory's "
           "(Sieve's rule)">,
    Option<"int8Isa", "int8-isa", "std::string", /*default=*/"\"none\"",
           "The target's int8 instructions, as sieve-vectorize-int8's isa "
           "(Sieve's rule: the layers its kernels take with their "
           "requantisation fused need no row of int32 accumulators)">,
    Option<"int8Kernels", "int8-kernels", "std::string",
           /*default=*/"\"generic\"",
           "sieve-vectorize-int8's kernels option that will run: generic, "
           "vector, avx2, neon, dsp or mve">,
    Option<"staticBorders", "static-borders", "bool", /*default=*/"false",
           "Mark recomputed stages with a layer the int8 kernels take "
           "(requantisation fused) sieve.static_borders: "
           "sieve-lower-patch-stages gives all their patches static shapes, "
           "and Sieve's rule counts each patch so (no int32 row, padded "
           "buffers only in patches that read padding)">
  ];
  let dependentDialects = ["sieve::patch::PatchDialect"];
}

def LowerPatchStages : Pass<"sieve-lower-patch-stages", "mlir::func::FuncOp"> {
  let summary = "Run patch.stage ops as loops over their patches";
  let description = [{
    Each `patch.stage` with the `recompute` strategy becomes loops over its
    grid: the op that yields the stage's output is tiled by the stage's
    tile (rows and columns of its output), and every op of the stage is
    fused into the loop, so that each patch computes the receptive field of
    its tile (halos recomputed, padding only at true image borders, as
    upstream tiling of `tensor.pad` gives) and writes its tile of the
    output. The body is then inlined where the stage was.

    A stage with the `cache` strategy must be row strips (one column of
    patches): each layer but the last keeps, in a line buffer, the rows the
    next strip still needs; a strip computes only its new rows into that
    window, which then slides up, so every row is computed once. Shapes
    stay static: the strips at the image borders are unrolled, the
    strips between them (each the previous one moved down by fixed rows)
    run as one `scf.for` over one strip's ops, marked `sieve.patch_loop`,
    with the windows carried through it. A 2-D grid with the `cache`
    strategy is an error at the stage.

    With `static-borders`, or on a stage marked `sieve.static_borders` (by
    `sieve-plan-patches{static-borders}`, which costs it so; `sieve-compile
    --patch-static-borders`), the recomputed patches get static shapes,
    which the int8 kernels need: the patches at the image borders (and the
    smaller last tiles), up to 8 per axis, run one by one as straight-line
    code, the patches between them stay one loop whose shapes are
    constants. A stage ending in a global pooling keeps dynamic shapes.
  }];
  let options = [
    Option<"staticBorders", "static-borders", "bool", /*default=*/"false",
           "Give recomputed border patches static shapes of their own">,
  ];
  let dependentDialects = ["mlir::scf::SCFDialect",
                           "mlir::tensor::TensorDialect",
                           "mlir::affine::AffineDialect",
                           "mlir::bufferization::BufferizationDialect"];
}

def VectorizeInt8 : Pass<"sieve-vectorize-int8", "mlir::ModuleOp"> {
  let summary = "int8 convolutions on buffers to register-blocked SIMD kernels";
  let description = [{
    Replaces int8 `linalg.conv_2d_nhwc_fhwc(_q)` (1x1 as GEMM, KxK at any
    stride, the 3-channel stem) and `linalg.depthwise_conv_2d_nhwc_hwc(m)(_q)`
    with constant weights by register-blocked vector loops: on x86 (AVX2)
    `vpmaddwd` of sign-extended pairs of input channels by 8 output channels
    (`avx2-pmaddwd`), on AArch64 `sdot` of groups of 4 input channels by 4
    output channels (`neon-sdot`); on x86 a convolution with fewer than 8
    input channels and more than one tap across (the 3-channel stem) reads
    the KW x C consecutive bytes of each row of taps as the channels of a
    1-tap convolution (`avx2-pmaddwd-window`, `avx512-vnni-window`: 8-byte
    loads, only the last pair or group partial); depthwise convolutions take `vpmaddwd` of
    pairs of taps of 8 channels on x86 (`avx2-dw`, weights interleaved per
    channel) and int32 lanes on AArch64 (`neon-dw`). On Cortex-M (Int8KernelsArm.cpp)
    a convolution is a dot product along the KW x C contiguous input bytes of
    each filter row: `sxtb16` + `smlad` per 4 bytes on the M4/M7
    (`dsp-smlad`), a tail-predicated `vmladava.s8` per 16 bytes on the M55
    (`mve-vmladava`); depthwise by blocks of 4 channels (`dsp-dw`:
    `smlabb`/`smlatt` on pre-sign-extended weight pairs; `mve-dw`: int32
    lanes). Weights are repacked at compile
    time into the blocks the kernel reads (new constant globals, so
    `weight_bytes` counts them), with the input zero point's correction
    (`-zp_in * sum(w)` per output channel) precomputed. The result is the
    same int32 accumulator as the generic loops', bit for bit. When the
    accumulator's only reader is a requantising `linalg.generic` (TOSA's
    `apply_scale`), it is computed in registers and the int32 buffer goes
    away (report: `"fused": "requant"`; on x86 in 32-bit lanes paired in
    64-bit ones, no int64 vectors). Kernels need no scratch.

    Runs after bufferization, inside the row loops of `sieve-fuse-into-rows`.
    `kernels=generic` changes nothing; `vector` picks the target's kernels
    (sieve-compile's `--int8-kernels=auto` asks for them wherever the target
    has some);
    `avx2`, `neon`, `dsp` or `mve` force them, and a target without them is
    an error at the op. A convolution the kernels do not cover (dynamic shapes, dilations,
    a non-zero weight zero point, weights that are not constants) keeps the
    generic loops, with a remark. The entry function's `sieve.int8_kernels`
    lists each int8 convolution and its kernel (the report's `int8.layers`).

    ```mlir
    // A 1x1 convolution, 3 -> 2 channels, input zero point -128:
    memref.global "private" constant @w : memref<2x1x1x3xi8>
        = dense<[[[[1, 2, 3]]], [[[4, 5, -6]]]]>
    linalg.conv_2d_nhwc_fhwc_q ... ins(%in, %w, %izp, %wzp ...) outs(%out ...)
    // becomes, with isa=avx2, weights in pairs of input channels for 8
    // output channels and the correction -zp * sum(w):
    memref.global "private" constant @w_avx2 : memref<1x1x1x2x16xi8> = ...
    memref.global "private" constant @w_zp_correction : memref<8xi32>
        = dense<[768, 384, 0, 0, 0, 0, 0, 0]>
    ... llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd" ...
    ```
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"x86-64-avx2\"",
           "Target name, for diagnostics">,
    Option<"isaName", "isa", "std::string", /*default=*/"\"avx2\"",
           "The target's int8 instructions: avx2, avx512 (with VNNI), neon "
           "(AArch64 with sdot), dsp "
           "(Cortex-M4/M7), mve (Cortex-M55) "
           "or none (the pipeline derives it from the target table)">,
    Option<"kernels", "kernels", "std::string", /*default=*/"\"vector\"",
           "generic, vector (the target's kernels), avx2, avx512, neon, dsp or "
           "mve">
  ];
  let dependentDialects = ["mlir::vector::VectorDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::LLVM::LLVMDialect"];
}

def OutlineLayers : Pass<"sieve-outline-layers", "mlir::ModuleOp"> {
  let summary = "Move each layer of the entry function into a function of its own";
  let description = [{
    Runs on bufferized, planned IR (after sieve-export-entry, before the
    lowering to loops), so that the arena and the report are already fixed.
    Each run of top-level ops of the entry function that define no value
    (linalg ops on buffers, loop nests, copies) moves into a private
    function with internal linkage and LLVM's `noinline` attribute, called
    where the run was; a run ends when its ops (nested ones counted) reach
    `min-ops`, so that a fused block gets its own function and a few small
    ops share one. Constants, globals, views and other pure ops that the run
    uses are recomputed in the callee: the callee takes the entry's buffers
    (the arena, inputs, outputs) and addresses the arena at the same constant
    offsets, so LLVM still tells the buffers apart. Calls of
    sieve-outline-parallel's launches stay in the entry, which alone receives
    the parallel-for hook. Ops whose locations carry the `sieve.cold` mark
    (code run a few times per inference that does little work each time:
    the unrolled patches of a cached 2-D grid) move into functions of their
    own with LLVM's `optsize` besides `noinline`, so that -O3 does not
    unroll their loops of constant trip counts (docs/patch.md); runs of them
    inside a loop (a grid's band loop) too, called from the loop, which
    keeps -O3 for the rest of its body.

    LLVM's -O3 pipeline and code generation take time that grows faster than
    linearly with the size of a function; many small functions compile in
    time linear in the number of layers (bench/compile_time_bench.py).

    ```mlir
    func.func @m_run(%in: memref<1x8xf32>, %out: memref<1x8xf32>,
                     %arena: memref<64xi8>) -> i32 {
      %c0 = arith.constant 0 : index
      %v = memref.view %arena[%c0][] : memref<64xi8> to memref<1x8xf32>
      linalg.generic ... ins(%in) outs(%v)
      linalg.generic ... ins(%v) outs(%out)
      ...
    // becomes, with min-ops=1
      call @sieve_layer0(%in, %arena) : (memref<1x8xf32>, memref<64xi8>) -> ()
      call @sieve_layer1(%arena, %out) : (memref<64xi8>, memref<1x8xf32>) -> ()
    func.func private @sieve_layer0(%in: memref<1x8xf32>, %arena: memref<64xi8>)
        attributes {llvm.linkage = #llvm.linkage<internal>,
                    passthrough = ["noinline"]} {
      %c0 = arith.constant 0 : index
      %v = memref.view %arena[%c0][] : memref<64xi8> to memref<1x8xf32>
      linalg.generic ... ins(%in) outs(%v)
      return
    }
    ```
  }];
  let options = [
    Option<"minOps", "min-ops", "unsigned", /*default=*/"16",
           "Ops (nested ones counted) from which a run of layers gets its "
           "own function; 0 or 1: one function per layer">
  ];
  let dependentDialects = ["mlir::func::FuncDialect",
                           "mlir::LLVM::LLVMDialect"];
}

def AttnTokenSparse : Pass<"sieve-attn-token-sparse", "mlir::func::FuncOp"> {
  let summary = "Replace dense prefill attention by ZipVL token-sparse attention";
  let description = [{
    Rewrites every `attn.attention` with as many queries as keys (prefill;
    causal or not, no mask, static f32, bhld of rank 3 or 4) into

    ```
    probe -> select -> gather Q, K, V -> attention among the kept -> scatter
    attn.token_scores -> attn.select_tokens -> attn.gather_tokens (x3)
      -> attn.kept_attention -> attn.scatter_tokens
    ```

    (ZipVL, He et al. 2024; docs/token-sparse.md). The kept count is a
    run-time value bounded by L and decided per batch index from the scores;
    every buffer is sized for L. Queries that are not kept receive zeros.
    This **changes the model**: each rewritten op gets a warning. `tau = 1`
    keeps every token and computes dense attention exactly. Errors: `tau`
    outside (0, 1], `probe` 0 or larger than L, `sinks + recent` larger
    than L, and attentions the rewrite cannot take (a mask, blhd, f16).

    With `cache-capacity=C` (C >= L) the prefill also returns, per
    attention in program order, the compacted key and value caches
    `[B, Hk, C, D]` (`attn.cache_compact`: the kept tokens' rows) and the
    kept count `[B]` as extra results of the function (named `key_cacheN`,
    `value_cacheN`, `keptN` in the C header). A function with no prefill
    attention gets no cache results, and a warning says so.

    Decode: one query over `concat(past, new)` along the length (an
    exporter's decode step: `tensor.concat`, or `tosa.concat` as
    tosa-to-tensor lowers it, with the past of static length P, seen
    through reshapes, transposes and grouped-head broadcasts) becomes
    `attn.cache_append` into a cache of capacity P + 1 holding the past
    (count P) and `attn.cache_attention`, which computes the same values.
    Other attentions with fewer queries than keys stay dense (a warning).
  }];
  let dependentDialects = ["sieve::attn::AttnDialect",
                           "mlir::tensor::TensorDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::linalg::LinalgDialect"];
  let options = [
    Option<"tau", "tau", "double", /*default=*/"0.97",
           "Fraction of the probe score mass the kept tokens hold, in (0, 1]">,
    Option<"probe", "probe", "int64_t", /*default=*/"64",
           "Probe queries: the last `probe` query rows">,
    Option<"stride", "stride", "int64_t", /*default=*/"0",
           "Also probe every stride-th row before them (0: none)">,
    Option<"sinks", "sinks", "int64_t", /*default=*/"4",
           "First tokens always kept (attention sinks)">,
    Option<"recent", "recent", "int64_t", /*default=*/"0",
           "Last tokens always kept (recent window)">,
    Option<"cacheCapacity", "cache-capacity", "int64_t", /*default=*/"0",
           "Prefill also returns each layer's compacted KV cache of this "
           "capacity (>= L) and its kept count (0: not)">
  ];
}

def LowerTokenSparse : Pass<"sieve-lower-token-sparse", "mlir::func::FuncOp"> {
  let summary = "Lower the token-sparse attn ops to loops and vector code";
  let description = [{
    Lowers `attn.token_scores`, `attn.select_tokens`, `attn.gather_tokens`
    and `attn.scatter_tokens` on tensors: operands are read through
    `bufferization.to_buffer`, results are fresh `memref.alloc`s returned by
    `bufferization.to_tensor restrict writable`. Probe scores process 16
    queries per vector, 6 keys at a time (the queries transposed once, key
    elements broadcast). `attn.kept_attention` is left to
    `sieve-lower-attention` (the flash kernel bounded by the run-time kept
    count), which runs after this pass. The selection finds the
    pivot score by a bitwise search over the f32 patterns (31 passes of
    sums), not a sort. docs/token-sparse.md.

    The KV-cache ops of the decode form: `attn.cache_compact` (prefill
    eviction, a gather into a buffer of the cache's capacity),
    `attn.cache_append` (the cached rows copied up to the count, the new
    token's row after them, and a `cf.assert` that the cache has room: the
    entry point's status) and `attn.cache_attention` (two passes over the
    cached tokens, bounded by the count, `sieve.parallel` over batch *
    heads). An append read by one decode attention is lowered with it: the
    attention copies each cached row as it reads it, so a decode step reads
    the cache once; when the caller passes the same buffer as input and
    output cache (in place, compared at run time) nothing is copied.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::bufferization::BufferizationDialect",
    "mlir::math::MathDialect", "mlir::memref::MemRefDialect",
    "mlir::scf::SCFDialect", "mlir::tensor::TensorDialect",
    "mlir::vector::VectorDialect"
  ];
}

#endif // SIEVE_TRANSFORMS_PASSES_TD
