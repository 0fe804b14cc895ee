// The cost model per target: the target's multiply-add instruction on 2-bit
// codes; f32 activations take the portable kernel; options force.
// RUN: sieve-opt %s -sieve-select-ternary-kernel=target=x86-64-avx2 | FileCheck %s --check-prefix=AVX2
// RUN: sieve-opt %s -sieve-select-ternary-kernel=target=x86-64-avx512 | FileCheck %s --check-prefix=AVX512
// RUN: sieve-opt %s -sieve-select-ternary-kernel=target=aarch64 | FileCheck %s --check-prefix=A64
// RUN: sieve-opt %s -sieve-select-ternary-kernel=target=cortex-m4 | FileCheck %s --check-prefix=M4
// RUN: sieve-opt %s -sieve-select-ternary-kernel=target=cortex-m7 | FileCheck %s --check-prefix=M4
// RUN: sieve-opt %s -sieve-select-ternary-kernel=target=cortex-m55 | FileCheck %s --check-prefix=M55
// RUN: sieve-opt %s -sieve-select-ternary-kernel="target=cortex-m55 kernel=portable packing=t5" | FileCheck %s --check-prefix=T5

// AVX2: func.func @layers{{.*}}sieve.ternary = [{activations = "i8", k = 5 : i64, kernel = "maddubs", location = "{{.*}}select.mlir:{{[0-9]+}}:{{[0-9]+}}", m = 1 : i64, n = 2 : i64, packed_bytes = 64 : i64, packing = "i2"}, {activations = "f32", {{.*}}kernel = "portable"
// AVX2: tern.matmul %{{.*}} weights(#tern.packed<i2, [2, 5], dense<{{.*}}> : tensor<2x32xi8>>) {kernel = "maddubs"}
// AVX2: tern.matmul %{{.*}} weights(#tern.packed<i2, [2, 5], {{.*}} {kernel = "portable"}
// AVX512: func.func @layers{{.*}}kernel = "vpdpbusd"{{.*}}kernel = "portable"
// AVX512: {kernel = "vpdpbusd"}
// A64: kernel = "sdot"
// M4: kernel = "smlad"
// M55: kernel = "vmladav"
// T5: func.func @layers{{.*}}packed_bytes = 2 : i64, packing = "t5"
// T5: tern.matmul %{{.*}} weights(#tern.packed<t5, [2, 5], dense<{{\[}}[-35], [-72]]> : tensor<2x1xi8>>) {kernel = "portable"}
func.func @layers(%x: tensor<1x5xi8>, %f: tensor<1x5xf32>) -> (tensor<1x2xi32>, tensor<1x2xf32>) {
  %y = tern.matmul %x weights(dense<[[1, 0, -1, 1, 1], [0, 0, 1, -1, 1]]> : tensor<2x5xi8>) : tensor<1x5xi8> -> tensor<1x2xi32>
  %z = tern.matmul %f weights(dense<[[1, 0, -1, 1, 1], [0, 0, 1, -1, 1]]> : tensor<2x5xi8>) scale([0.5]) : tensor<1x5xf32> -> tensor<1x2xf32>
  return %y, %z : tensor<1x2xi32>, tensor<1x2xf32>
}

// The cost model on Cortex-M4/M7: tables in SRAM (kernel lut, t5 bytes)
// pay off for wide layers (0.70 + 97 / N instructions per weight against
// smlad's 1.43); narrow layers keep smlad. Elsewhere wide layers keep the
// multiply-add kernels.
// AVX2: func.func @wide
// AVX2: kernel = "maddubs"
// AVX512: func.func @wide
// AVX512: kernel = "vpdpbusd"
// A64: func.func @wide
// A64: kernel = "sdot"
// M4: func.func @wide
// M4: tern.matmul %{{.*}} weights(#tern.packed<t5, [256, 5], {{.*}} {kernel = "lut"}
// M4: tern.matmul %{{.*}} weights(#tern.packed<i2, [128, 5], {{.*}} {kernel = "smlad"}
// M55: func.func @wide
// M55: kernel = "vmladav"
// M55: kernel = "vmladav"
func.func @wide(%x: tensor<1x5xi8>) -> (tensor<1x256xi32>, tensor<1x128xi32>) {
  %y = tern.matmul %x weights(dense<1> : tensor<256x5xi8>) : tensor<1x5xi8> -> tensor<1x256xi32>
  %z = tern.matmul %x weights(dense<-1> : tensor<128x5xi8>) : tensor<1x5xi8> -> tensor<1x128xi32>
  return %y, %z : tensor<1x256xi32>, tensor<1x128xi32>
}
