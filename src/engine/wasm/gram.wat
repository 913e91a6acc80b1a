;; The Gram kernel of src/engine/gram.ts in WebAssembly SIMD (f64x2): out[i, j] += Σ_t x[i, t] · y[j, t]
;; for x [n, k] and y [m, k] row-major float64 in this module's memory, out [n, m] float64.
;; The caller pads n to a multiple of 2, m to a multiple of 4 and k to a multiple of 2 with zeros.
;; Blocks of 2 rows of x × 4 rows of y, vectorised along t (two t per f64x2), eight accumulators;
;; with $upper = 1, blocks wholly below the diagonal (j + 4 ≤ i) are skipped.
;; Built into gram-wasm.ts by scripts/build-wasm.mjs (npm run wasm).
(module
  (memory (export "memory") 1)
  (func (export "gram")
    (param $x i32) (param $y i32) (param $n i32) (param $m i32) (param $k i32) (param $out i32) (param $upper i32)
    (local $row i32) (local $i i32) (local $j i32) (local $t i32)
    (local $xa i32) (local $xb i32) (local $y0 i32) (local $y1 i32) (local $y2 i32) (local $y3 i32) (local $o i32)
    (local $a0 v128) (local $a1 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local $c00 v128) (local $c01 v128) (local $c02 v128) (local $c03 v128)
    (local $c10 v128) (local $c11 v128) (local $c12 v128) (local $c13 v128)
    (local.set $row (i32.shl (local.get $k) (i32.const 3)))
    (local.set $i (i32.const 0))
    (block $iend
      (loop $iloop
        (br_if $iend (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $xa (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $row))))
        (local.set $xb (i32.add (local.get $xa) (local.get $row)))
        (local.set $j
          (select (i32.and (local.get $i) (i32.const -4)) (i32.const 0) (local.get $upper)))
        (block $jend
          (loop $jloop
            (br_if $jend (i32.ge_u (local.get $j) (local.get $m)))
            (local.set $y0 (i32.add (local.get $y) (i32.mul (local.get $j) (local.get $row))))
            (local.set $y1 (i32.add (local.get $y0) (local.get $row)))
            (local.set $y2 (i32.add (local.get $y1) (local.get $row)))
            (local.set $y3 (i32.add (local.get $y2) (local.get $row)))
            (local.set $c00 (v128.const f64x2 0 0)) (local.set $c01 (v128.const f64x2 0 0))
            (local.set $c02 (v128.const f64x2 0 0)) (local.set $c03 (v128.const f64x2 0 0))
            (local.set $c10 (v128.const f64x2 0 0)) (local.set $c11 (v128.const f64x2 0 0))
            (local.set $c12 (v128.const f64x2 0 0)) (local.set $c13 (v128.const f64x2 0 0))
            (local.set $t (i32.const 0))
            (block $tend
              (loop $tloop
                (br_if $tend (i32.ge_u (local.get $t) (local.get $row)))
                (local.set $a0 (v128.load (i32.add (local.get $xa) (local.get $t))))
                (local.set $a1 (v128.load (i32.add (local.get $xb) (local.get $t))))
                (local.set $b0 (v128.load (i32.add (local.get $y0) (local.get $t))))
                (local.set $b1 (v128.load (i32.add (local.get $y1) (local.get $t))))
                (local.set $b2 (v128.load (i32.add (local.get $y2) (local.get $t))))
                (local.set $b3 (v128.load (i32.add (local.get $y3) (local.get $t))))
                (local.set $c00 (f64x2.add (local.get $c00) (f64x2.mul (local.get $a0) (local.get $b0))))
                (local.set $c01 (f64x2.add (local.get $c01) (f64x2.mul (local.get $a0) (local.get $b1))))
                (local.set $c02 (f64x2.add (local.get $c02) (f64x2.mul (local.get $a0) (local.get $b2))))
                (local.set $c03 (f64x2.add (local.get $c03) (f64x2.mul (local.get $a0) (local.get $b3))))
                (local.set $c10 (f64x2.add (local.get $c10) (f64x2.mul (local.get $a1) (local.get $b0))))
                (local.set $c11 (f64x2.add (local.get $c11) (f64x2.mul (local.get $a1) (local.get $b1))))
                (local.set $c12 (f64x2.add (local.get $c12) (f64x2.mul (local.get $a1) (local.get $b2))))
                (local.set $c13 (f64x2.add (local.get $c13) (f64x2.mul (local.get $a1) (local.get $b3))))
                (local.set $t (i32.add (local.get $t) (i32.const 16)))
                (br $tloop)))
            ;; out[i, j..j+3] and out[i+1, j..j+3] += the lane sums.
            (local.set $o (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $m)) (local.get $j)) (i32.const 3))))
            (f64.store offset=0 (local.get $o) (f64.add (f64.load offset=0 (local.get $o)) (f64.add (f64x2.extract_lane 0 (local.get $c00)) (f64x2.extract_lane 1 (local.get $c00)))))
            (f64.store offset=8 (local.get $o) (f64.add (f64.load offset=8 (local.get $o)) (f64.add (f64x2.extract_lane 0 (local.get $c01)) (f64x2.extract_lane 1 (local.get $c01)))))
            (f64.store offset=16 (local.get $o) (f64.add (f64.load offset=16 (local.get $o)) (f64.add (f64x2.extract_lane 0 (local.get $c02)) (f64x2.extract_lane 1 (local.get $c02)))))
            (f64.store offset=24 (local.get $o) (f64.add (f64.load offset=24 (local.get $o)) (f64.add (f64x2.extract_lane 0 (local.get $c03)) (f64x2.extract_lane 1 (local.get $c03)))))
            (local.set $o (i32.add (local.get $o) (i32.shl (local.get $m) (i32.const 3))))
            (f64.store offset=0 (local.get $o) (f64.add (f64.load offset=0 (local.get $o)) (f64.add (f64x2.extract_lane 0 (local.get $c10)) (f64x2.extract_lane 1 (local.get $c10)))))
            (f64.store offset=8 (local.get $o) (f64.add (f64.load offset=8 (local.get $o)) (f64.add (f64x2.extract_lane 0 (local.get $c11)) (f64x2.extract_lane 1 (local.get $c11)))))
            (f64.store offset=16 (local.get $o) (f64.add (f64.load offset=16 (local.get $o)) (f64.add (f64x2.extract_lane 0 (local.get $c12)) (f64x2.extract_lane 1 (local.get $c12)))))
            (f64.store offset=24 (local.get $o) (f64.add (f64.load offset=24 (local.get $o)) (f64.add (f64x2.extract_lane 0 (local.get $c13)) (f64x2.extract_lane 1 (local.get $c13)))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $jloop)))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $iloop)))))
