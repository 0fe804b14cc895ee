// Each kernel's loop body, K = 261: two full 128-weight blocks and a tail.
// RUN: sieve-opt %s -sieve-select-ternary-kernel=target=x86-64-avx2 -sieve-lower-ternary=target=x86-64-avx2 | FileCheck %s --check-prefixes=CHECK,ROWS,MADD
// RUN: sieve-opt %s -sieve-select-ternary-kernel=target=x86-64-avx512 -sieve-lower-ternary=target=x86-64-avx512 | FileCheck %s --check-prefixes=CHECK,ROWS,VNNI
// RUN: sieve-opt %s -sieve-select-ternary-kernel=target=aarch64 -sieve-lower-ternary=target=aarch64 | FileCheck %s --check-prefixes=CHECK,ROWS,SDOT
// RUN: sieve-opt %s -sieve-select-ternary-kernel=target=x86-64-avx512 -sieve-lower-ternary=target=x86-64-avx512 | FileCheck %s --check-prefix=VTILE
// RUN: sieve-opt %s -sieve-select-ternary-kernel=target=aarch64 -sieve-lower-ternary=target=aarch64 | FileCheck %s --check-prefix=GEMM
// RUN: sieve-opt %s -sieve-select-ternary-kernel=target=cortex-m4 -sieve-lower-ternary=target=cortex-m4 | FileCheck %s --check-prefixes=CHECK,ROWS,SMLAD
// RUN: sieve-opt %s -sieve-select-ternary-kernel=target=cortex-m55 -sieve-lower-ternary=target=cortex-m55 | FileCheck %s --check-prefix=MVE
// RUN: sieve-opt %s -sieve-select-ternary-kernel="target=cortex-m55 kernel=portable packing=t5" -sieve-lower-ternary=target=cortex-m55 | FileCheck %s --check-prefix=PORT

// CHECK-LABEL: func @gemv
// CHECK-NOT: tern.
// ROWS: %[[W:.*]] = arith.constant dense<{{.*}}> : tensor<3x96xi8>
// The MVE kernel's 4 channels per byte: codes 2 (0x2A) in rows 0-2, row 3
// padding (weight 0), columns past K padded with weight 0 (0x15) to 272.
// MVE-LABEL: func @gemv
// MVE: arith.constant dense<"0x2A2A{{(2A)*}}1515{{(15)*}}"> : tensor<1x272xi8>
// The x86 kernels prefetch the weights (through their future buffer) of a
// row further down, clamped to the last row (2). maddubs takes one row per
// tile, a sequential stream, and prefetches one line per 4 KiB of it (the
// rows at multiples of 4096 / 96 = 42), the start of a row further down,
// before the row's blocks; none in its loop.
// MADD: %[[B:.*]] = bufferization.to_buffer %[[W]] read_only : tensor<3x96xi8> to memref<3x96xi8>
// MADD: arith.remui %{{.*}}, %c42 : index
// MADD: scf.if
// MADD: %[[R:.*]] = arith.minui %{{.*}}, %c2{{.*}} : index
// MADD: memref.prefetch %[[B]][%[[R]], %c0{{.*}}], read, locality<3>, data : memref<3x96xi8>
// MADD: vector.transfer_read %[[W]]{{.*}} : tensor<3x96xi8>, vector<32xi8>
// MADD-NOT: memref.prefetch
// vpdpbusd prefetches every block in tiles of 4 channels (@vnni_gemm
// below); 3 channels take tiles of one, which prefetch one line per 4 KiB
// of the stream (the rows at multiples of 4096 / 96 = 42) before their
// blocks: the start of a row further down (clamped to the last, 2).
// VNNI: %[[B:.*]] = bufferization.to_buffer %[[W]] read_only : tensor<3x96xi8> to memref<3x96xi8>
// VNNI: arith.remui %{{.*}}, %c42 : index
// VNNI: scf.if
// VNNI: %[[R:.*]] = arith.minui %{{.*}}, %c2{{.*}} : index
// VNNI: memref.prefetch %[[B]][%[[R]], %c0{{.*}}], read, locality<3>, data : memref<3x96xi8>
// VNNI: vector.transfer_read %[[W]]{{.*}} : tensor<3x96xi8>, vector<32xi8>
// VNNI-NOT: memref.prefetch
// VNNI-COUNT-4: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// VNNI: arith.shrsi
// MADD-COUNT-4: llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"
// MADD: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// The sdot kernel's codes undecoded (no subtraction of 1); the 2 tokens
// take its GEMM tile (@gemm_sdot below), here of one channel: an
// accumulator per token, never shifted back.
// SDOT: scf.for {{.*}} -> (vector<4xi32>, vector<4xi32>)
// SDOT-NOT: arith.subi
// SDOT-COUNT-2: llvm.call_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"
// SDOT: scf.yield
// SDOT-NOT: arith.shrsi
// SDOT: vector.reduction <add>
// SMLAD: llvm.call_intrinsic "llvm.arm.sxtb16"
// SMLAD: llvm.call_intrinsic "llvm.arm.smlad"
// Four times unrolled 16 columns: b, b & 3, b & 12, b >>s 6.
// MVE: scf.for
// MVE: arith.constant dense<12> : vector<16xi8>
// MVE: arith.shrsi %{{.*}}, %{{.*}} : vector<16xi8>
// MVE-COUNT-16: llvm.call_intrinsic "llvm.arm.mve.vmldava.v16i8"
// MVE: scf.yield
// The last 5 columns, activations past K zero.
// MVE: vector.from_elements
// MVE-COUNT-4: llvm.call_intrinsic "llvm.arm.mve.vmldava.v16i8"
// Row 2 from the sum of whole bytes.
// MVE: arith.shli %{{.*}}, %c6_i32
// MVE: arith.shrsi %{{.*}}, %c4_i32
// The scalar tail decodes codes one by one.
// CHECK: scf.for %{{.*}} = %c256{{.*}} to %c261
// CHECK: arith.shrui
// PORT: %[[W:.*]] = arith.constant dense<{{.*}}> : tensor<3x53xi8>
// PORT: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]{{.*}} ins(%{{.*}}, %[[W]] : tensor<2x261xi8>, tensor<3x53xi8>)
// PORT: arith.divui
// PORT: arith.remui
func.func @gemv(%x: tensor<2x261xi8>) -> tensor<2x3xi32> {
  %y = tern.matmul %x weights(dense<1> : tensor<3x261xi8>) : tensor<2x261xi8> -> tensor<2x3xi32>
  return %y : tensor<2x3xi32>
}

// Scales: int32 to f32 times the channel's scale, divided by the token's.
// CHECK-LABEL: func @scaled
// CHECK: linalg.generic
// CHECK: arith.sitofp
// CHECK: arith.mulf
// CHECK: arith.divf
func.func @scaled(%x: tensor<2x4xi8>, %s: tensor<2xf32>) -> tensor<2x3xf32> {
  %y = tern.matmul %x scaled(%s : tensor<2xf32>) weights(dense<-1> : tensor<3x4xi8>) scale([0.5, 0.25, 1.0]) : tensor<2x4xi8> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// BitNet's activation quantisation: abs-max per row, 127 / max, round.
// CHECK-LABEL: func @quantize
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK: math.absf
// CHECK: arith.maximumf
// CHECK: arith.divf
// CHECK: linalg.generic
// CHECK: arith.fptosi %{{.*}} : f32 to i8
func.func @quantize(%x: tensor<2x4xf32>) -> (tensor<2x4xi8>, tensor<2xf32>) {
  %q, %s = tern.quantize_absmax %x : tensor<2x4xf32> -> tensor<2x4xi8>, tensor<2xf32>
  return %q, %s : tensor<2x4xi8>, tensor<2xf32>
}

// The step form: q = roundeven(x / (max / 127)), divided as the model writes
// it (a per-token step next to the scale 127 / max that is returned).
// CHECK-LABEL: func @quantize_divide
// CHECK: math.absf
// CHECK: %[[S:.*]] = linalg.generic
// CHECK: arith.divf %{{.*}}, %{{.*}} : f32
// CHECK: %[[D:.*]] = linalg.generic
// CHECK: arith.maximumf
// CHECK: arith.divf
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[D]] : tensor<2x4xf32>, tensor<2xf32>)
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %[[DD:.*]]: f32
// CHECK-NEXT: arith.divf %[[X]], %[[DD]] : f32
// CHECK: arith.fptosi %{{.*}} : f32 to i8
// CHECK: return %{{.*}}, %[[S]]
func.func @quantize_divide(%x: tensor<2x4xf32>) -> (tensor<2x4xi8>, tensor<2xf32>) {
  %q, %s = tern.quantize_absmax %x divide : tensor<2x4xf32> -> tensor<2x4xi8>, tensor<2xf32>
  return %q, %s : tensor<2x4xi8>, tensor<2xf32>
}

// The sdot kernel's GEMM tile, 4 tokens x 4 channels: each row's vectors
// turned into codes once ((bytes >> 2p) & 3, field 3 shifted by 6) and
// dotted with the 4 tokens' activations, into one accumulator per (token,
// channel), 16 in all, never shifted back. The fifth token takes the
// one-token tile (GEMV): fields 0-2 masked in place (3, 12, 48), field 3
// shifted by 6, into 3 accumulators per channel, one per scale, shifted
// back (by 2 and 4) after each chunk of blocks.
// GEMM-LABEL: func @gemm_sdot
// GEMM: scf.for {{.*}} -> (vector<4xi32>{{(, vector<4xi32>){15}[)]}}
// GEMM-NOT: dense<12>
// GEMM-COUNT-4: arith.andi %{{.*}}, %{{.*}} : vector<16xi8>
// GEMM-COUNT-16: llvm.call_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"
// GEMM: arith.shrui %{{.*}}, %{{.*}} : vector<16xi8>
// GEMM: arith.andi %{{.*}}, %{{.*}} : vector<16xi8>
// GEMM: scf.yield
// GEMM-NOT: arith.shrsi
// GEMM: vector.reduction <add>
// GEMM: dense<12> : vector<16xi8>
// GEMM: dense<48> : vector<16xi8>
// GEMM: scf.for {{.*}} -> (vector<4xi32>{{(, vector<4xi32>){11}[)]}}
// GEMM-NOT: arith.subi
// GEMM-COUNT-24: llvm.call_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"
// GEMM: arith.shrui %{{.*}}, %{{.*}} : vector<16xi8>
// GEMM-COUNT-8: llvm.call_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"
// GEMM: scf.yield
// GEMM: arith.shrsi %{{.*}}, %{{.*}} : vector<4xi32>
// GEMM: arith.shrsi %{{.*}}, %{{.*}} : vector<4xi32>
func.func @gemm_sdot(%x: tensor<5x261xi8>) -> tensor<5x4xi32> {
  %y = tern.matmul %x weights(dense<1> : tensor<4x261xi8>) : tensor<5x261xi8> -> tensor<5x4xi32>
  return %y : tensor<5x4xi32>
}

// vpdpbusd for a GEMM takes tiles of 4 channels x 2 tokens, 16
// accumulators; each row's 32 bytes are read and the same column
// prefetched 8 rows further (8 KiB at K = 4096; here clamped to the last
// row, 7).
// VTILE-LABEL: func @vnni_gemm
// VTILE: %[[B:.*]] = bufferization.to_buffer %[[W:.*]] read_only : tensor<8x128xi8> to memref<8x128xi8>
// VTILE: scf.for {{.*}} -> (vector<16xi32>{{(, vector<16xi32>){15}[)]}}
// VTILE-COUNT-4: memref.prefetch %[[B]][{{.*}}], read, locality<3>, data : memref<8x128xi8>
// VTILE-COUNT-8: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// VTILE: scf.yield
func.func @vnni_gemm(%x: tensor<2x512xi8>) -> tensor<2x8xi32> {
  %y = tern.matmul %x weights(dense<1> : tensor<8x512xi8>) : tensor<2x512xi8> -> tensor<2x8xi32>
  return %y : tensor<2x8xi32>
}

// vpdpbusd for a GEMV takes one channel at a time (its row one sequential
// stream; one prefetch per 4 KiB of it, in the rows at multiples of 4096 /
// 128 = 32, of the start of the row 8 KiB further, here clamped to the
// last, 7), 4 blocks per iteration (K = 512) into their own accumulators,
// 8 chains; after the chunk the 4 accumulators of each half (the same
// lanes' scales) are added, then shifted back once per half.
// VTILE-LABEL: func @vnni_gemv
// VTILE: %[[B:.*]] = bufferization.to_buffer %[[W:.*]] read_only : tensor<8x128xi8> to memref<8x128xi8>
// VTILE: scf.for %[[N:.*]] = {{.*}} step %c1{{.*}} -> (tensor<1x8xi32>)
// VTILE: %[[M:.*]] = arith.remui %[[N]], %c32 : index
// VTILE: %[[F:.*]] = arith.cmpi eq, %[[M]], %c0{{.*}} : index
// VTILE: scf.if %[[F]] {
// VTILE: %[[R:.*]] = arith.minui %{{.*}}, %c7{{.*}} : index
// VTILE-NEXT: memref.prefetch %[[B]][%[[R]], %c0{{.*}}], read, locality<3>, data : memref<8x128xi8>
// VTILE: scf.for {{.*}} -> (vector<16xi32>{{(, vector<16xi32>){7}[)]}}
// VTILE-NOT: memref.prefetch
// VTILE-COUNT-4: vector.transfer_read {{.*}} : tensor<8x128xi8>, vector<32xi8>
// VTILE-NOT: memref.prefetch
// VTILE: scf.yield
// VTILE-NOT: arith.shrsi
// VTILE: %[[E1:.*]] = arith.addi %[[L:[0-9]+]]#0, %[[L]]#2 : vector<16xi32>
// VTILE-NEXT: %[[E2:.*]] = arith.addi %[[E1]], %[[L]]#4 : vector<16xi32>
// VTILE-NEXT: %[[E3:.*]] = arith.addi %[[E2]], %[[L]]#6 : vector<16xi32>
// VTILE-NEXT: arith.shrsi %[[E3]], %{{.*}} : vector<16xi32>
// VTILE: %[[O1:.*]] = arith.addi %[[L]]#1, %[[L]]#3 : vector<16xi32>
// VTILE-NEXT: %[[O2:.*]] = arith.addi %[[O1]], %[[L]]#5 : vector<16xi32>
// VTILE-NEXT: %[[O3:.*]] = arith.addi %[[O2]], %[[L]]#7 : vector<16xi32>
// VTILE-NEXT: arith.shrsi %[[O3]], %{{.*}} : vector<16xi32>
// VTILE-NOT: arith.shrsi
// VTILE: vector.reduction <add>
func.func @vnni_gemv(%x: tensor<1x512xi8>) -> tensor<1x8xi32> {
  %y = tern.matmul %x weights(dense<1> : tensor<8x512xi8>) : tensor<1x512xi8> -> tensor<1x8xi32>
  return %y : tensor<1x8xi32>
}
