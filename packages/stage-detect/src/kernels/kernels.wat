;; The detector's two per-frame loops in WebAssembly SIMD: RGB to Y'CbCr 4:2:0, and the 4x4 cell
;; SADs of a plane with the table of 8x8 blocks over a threshold. The conversion computes exactly
;; what the scalar code in mpdecimate.ts does for the last columns (same fixed point, same rounding),
;; and the SADs what cellRowSads does; tests/kernels.test.ts checks both sample by sample.
;; `node packages/stage-detect/scripts/build-kernels.cjs` assembles this file into kernels-wasm.ts.
(module
  (memory (export "memory") 1)

  ;; Converts `groups` groups of 8 pixels (4 chroma samples) of each chroma row of an RGB frame.
  ;; $k points to the 9 coefficients (yr yg yb ur ug ub vr vg vb) as i32. Row pairs: luma rows 2·cy
  ;; and 2·cy + 1, or 2·cy twice for the last row of an odd height. RGB loads read up to 4 bytes
  ;; past a group, so the frame needs 16 bytes of slack after it. Everything is written out inline:
  ;; calls with vector arguments cost more than the arithmetic.
  (func (export "rgb_to_planes")
        (param $rgb i32) (param $width i32) (param $height i32) (param $groups i32)
        (param $y i32) (param $yStride i32) (param $u i32) (param $v i32) (param $cStride i32) (param $k i32)
    (local $cy i32) (local $chromaRows i32) (local $row0 i32) (local $row1 i32) (local $in0 i32) (local $in1 i32)
    (local $out0 i32) (local $out1 i32) (local $cOut i32) (local $i i32)
    ;; Pixels 0-3 (a) and 4-7 (b) of a group in rows 0 and 1, and their channels as i32 lanes.
    (local $a0 v128) (local $b0 v128) (local $a1 v128) (local $b1 v128)
    (local $rA0 v128) (local $gA0 v128) (local $bA0 v128) (local $rB0 v128) (local $gB0 v128) (local $bB0 v128)
    (local $rA1 v128) (local $gA1 v128) (local $bA1 v128) (local $rB1 v128) (local $gB1 v128) (local $bB1 v128)
    ;; The 2x2 sums of each channel for the group's 4 chroma samples.
    (local $r v128) (local $g v128) (local $b v128)
    (local $selR v128) (local $selG v128) (local $selB v128)
    (local $yr v128) (local $yg v128) (local $yb v128) (local $ur v128) (local $ug v128) (local $ub v128) (local $vr v128) (local $vg v128) (local $vb v128)
    ;; i32 lanes 0-3 = bytes 0, 3, 6, 9 (+ channel) of an RGB vector; 128 selects zero.
    (local.set $selR (v128.const i8x16 0 128 128 128 3 128 128 128 6 128 128 128 9 128 128 128))
    (local.set $selG (v128.const i8x16 1 128 128 128 4 128 128 128 7 128 128 128 10 128 128 128))
    (local.set $selB (v128.const i8x16 2 128 128 128 5 128 128 128 8 128 128 128 11 128 128 128))
    (local.set $yr (v128.load32_splat offset=0 (local.get $k)))
    (local.set $yg (v128.load32_splat offset=4 (local.get $k)))
    (local.set $yb (v128.load32_splat offset=8 (local.get $k)))
    (local.set $ur (v128.load32_splat offset=12 (local.get $k)))
    (local.set $ug (v128.load32_splat offset=16 (local.get $k)))
    (local.set $ub (v128.load32_splat offset=20 (local.get $k)))
    (local.set $vr (v128.load32_splat offset=24 (local.get $k)))
    (local.set $vg (v128.load32_splat offset=28 (local.get $k)))
    (local.set $vb (v128.load32_splat offset=32 (local.get $k)))
    (local.set $chromaRows (i32.shr_u (i32.add (local.get $height) (i32.const 1)) (i32.const 1)))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $cy) (local.get $chromaRows)))
        (local.set $row0 (i32.shl (local.get $cy) (i32.const 1)))
        (local.set $row1 (select (i32.add (local.get $row0) (i32.const 1)) (local.get $row0)
                                 (i32.lt_u (i32.add (local.get $row0) (i32.const 1)) (local.get $height))))
        (local.set $in0 (i32.add (local.get $rgb) (i32.mul (local.get $row0) (i32.mul (local.get $width) (i32.const 3)))))
        (local.set $in1 (i32.add (local.get $rgb) (i32.mul (local.get $row1) (i32.mul (local.get $width) (i32.const 3)))))
        (local.set $out0 (i32.add (local.get $y) (i32.mul (local.get $row0) (local.get $yStride))))
        (local.set $out1 (i32.add (local.get $y) (i32.mul (local.get $row1) (local.get $yStride))))
        (local.set $cOut (i32.mul (local.get $cy) (local.get $cStride)))
        (local.set $i (i32.const 0))
        (block $groupsDone
          (loop $group
            (br_if $groupsDone (i32.ge_u (local.get $i) (local.get $groups)))
            (local.set $a0 (v128.load (local.get $in0)))
            (local.set $b0 (v128.load offset=12 (local.get $in0)))
            (local.set $a1 (v128.load (local.get $in1)))
            (local.set $b1 (v128.load offset=12 (local.get $in1)))
            (local.set $rA0 (i8x16.swizzle (local.get $a0) (local.get $selR)))
            (local.set $gA0 (i8x16.swizzle (local.get $a0) (local.get $selG)))
            (local.set $bA0 (i8x16.swizzle (local.get $a0) (local.get $selB)))
            (local.set $rB0 (i8x16.swizzle (local.get $b0) (local.get $selR)))
            (local.set $gB0 (i8x16.swizzle (local.get $b0) (local.get $selG)))
            (local.set $bB0 (i8x16.swizzle (local.get $b0) (local.get $selB)))
            (local.set $rA1 (i8x16.swizzle (local.get $a1) (local.get $selR)))
            (local.set $gA1 (i8x16.swizzle (local.get $a1) (local.get $selG)))
            (local.set $bA1 (i8x16.swizzle (local.get $a1) (local.get $selB)))
            (local.set $rB1 (i8x16.swizzle (local.get $b1) (local.get $selR)))
            (local.set $gB1 (i8x16.swizzle (local.get $b1) (local.get $selG)))
            (local.set $bB1 (i8x16.swizzle (local.get $b1) (local.get $selB)))
            ;; Luma: ((yr·R + yg·G + yb·B + 2^15) >> 16) + 16, 8 samples per row.
            (v128.store64_lane 0 (local.get $out0)
              (i8x16.narrow_i16x8_u
                (i16x8.narrow_i32x4_u
                  (i32x4.add
                    (i32x4.shr_s
                      (i32x4.add
                        (i32x4.add (i32x4.mul (local.get $rA0) (local.get $yr)) (i32x4.mul (local.get $gA0) (local.get $yg)))
                        (i32x4.add (i32x4.mul (local.get $bA0) (local.get $yb)) (v128.const i32x4 32768 32768 32768 32768)))
                      (i32.const 16))
                    (v128.const i32x4 16 16 16 16))
                  (i32x4.add
                    (i32x4.shr_s
                      (i32x4.add
                        (i32x4.add (i32x4.mul (local.get $rB0) (local.get $yr)) (i32x4.mul (local.get $gB0) (local.get $yg)))
                        (i32x4.add (i32x4.mul (local.get $bB0) (local.get $yb)) (v128.const i32x4 32768 32768 32768 32768)))
                      (i32.const 16))
                    (v128.const i32x4 16 16 16 16)))
                (v128.const i32x4 0 0 0 0)))
            (v128.store64_lane 0 (local.get $out1)
              (i8x16.narrow_i16x8_u
                (i16x8.narrow_i32x4_u
                  (i32x4.add
                    (i32x4.shr_s
                      (i32x4.add
                        (i32x4.add (i32x4.mul (local.get $rA1) (local.get $yr)) (i32x4.mul (local.get $gA1) (local.get $yg)))
                        (i32x4.add (i32x4.mul (local.get $bA1) (local.get $yb)) (v128.const i32x4 32768 32768 32768 32768)))
                      (i32.const 16))
                    (v128.const i32x4 16 16 16 16))
                  (i32x4.add
                    (i32x4.shr_s
                      (i32x4.add
                        (i32x4.add (i32x4.mul (local.get $rB1) (local.get $yr)) (i32x4.mul (local.get $gB1) (local.get $yg)))
                        (i32x4.add (i32x4.mul (local.get $bB1) (local.get $yb)) (v128.const i32x4 32768 32768 32768 32768)))
                      (i32.const 16))
                    (v128.const i32x4 16 16 16 16)))
                (v128.const i32x4 0 0 0 0)))
            ;; Chroma: the rows added, then horizontal pairs; ((k·sums + 2^17) >> 18) + 128.
            (local.set $r
              (i32x4.add
                (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (i32x4.add (local.get $rA0) (local.get $rA1)) (i32x4.add (local.get $rB0) (local.get $rB1)))
                (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (i32x4.add (local.get $rA0) (local.get $rA1)) (i32x4.add (local.get $rB0) (local.get $rB1)))))
            (local.set $g
              (i32x4.add
                (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (i32x4.add (local.get $gA0) (local.get $gA1)) (i32x4.add (local.get $gB0) (local.get $gB1)))
                (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (i32x4.add (local.get $gA0) (local.get $gA1)) (i32x4.add (local.get $gB0) (local.get $gB1)))))
            (local.set $b
              (i32x4.add
                (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (i32x4.add (local.get $bA0) (local.get $bA1)) (i32x4.add (local.get $bB0) (local.get $bB1)))
                (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (i32x4.add (local.get $bA0) (local.get $bA1)) (i32x4.add (local.get $bB0) (local.get $bB1)))))
            (v128.store32_lane 0 (i32.add (local.get $u) (local.get $cOut))
              (i8x16.narrow_i16x8_u
                (i16x8.narrow_i32x4_u
                  (i32x4.add
                    (i32x4.shr_s
                      (i32x4.add
                        (i32x4.add (i32x4.mul (local.get $r) (local.get $ur)) (i32x4.mul (local.get $g) (local.get $ug)))
                        (i32x4.add (i32x4.mul (local.get $b) (local.get $ub)) (v128.const i32x4 131072 131072 131072 131072)))
                      (i32.const 18))
                    (v128.const i32x4 128 128 128 128))
                  (v128.const i32x4 0 0 0 0))
                (v128.const i32x4 0 0 0 0)))
            (v128.store32_lane 0 (i32.add (local.get $v) (local.get $cOut))
              (i8x16.narrow_i16x8_u
                (i16x8.narrow_i32x4_u
                  (i32x4.add
                    (i32x4.shr_s
                      (i32x4.add
                        (i32x4.add (i32x4.mul (local.get $r) (local.get $vr)) (i32x4.mul (local.get $g) (local.get $vg)))
                        (i32x4.add (i32x4.mul (local.get $b) (local.get $vb)) (v128.const i32x4 131072 131072 131072 131072)))
                      (i32.const 18))
                    (v128.const i32x4 128 128 128 128))
                  (v128.const i32x4 0 0 0 0))
                (v128.const i32x4 0 0 0 0)))
            (local.set $in0 (i32.add (local.get $in0) (i32.const 24)))
            (local.set $in1 (i32.add (local.get $in1) (i32.const 24)))
            (local.set $out0 (i32.add (local.get $out0) (i32.const 8)))
            (local.set $out1 (i32.add (local.get $out1) (i32.const 8)))
            (local.set $cOut (i32.add (local.get $cOut) (i32.const 4)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $group)))
        (local.set $cy (i32.add (local.get $cy) (i32.const 1)))
        (br $rows))))

  ;; Sums of absolute differences of the 4x4 cells of two planes ($cells per row, $cellRows rows,
  ;; rows of 4·$cells bytes) as i32 at $sads, row-major. Four cells per step: a row's last step may
  ;; write up to 3 entries past the row (the next row overwrites them), so $sads needs 12 bytes of
  ;; slack, and the planes 12 bytes each.
  (func $cell_sads (param $a i32) (param $b i32) (param $cells i32) (param $cellRows i32) (param $sads i32)
    (local $cy i32) (local $cx i32) (local $stride i32) (local $pa i32) (local $pb i32) (local $out i32) (local $sum v128) (local $x v128) (local $y v128) (local $r i32)
    (local.set $stride (i32.shl (local.get $cells) (i32.const 2)))
    (local.set $out (local.get $sads))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $cy) (local.get $cellRows)))
        (local.set $cx (i32.const 0))
        (block $cellsDone
          (loop $step
            (br_if $cellsDone (i32.ge_u (local.get $cx) (local.get $cells)))
            (local.set $pa (i32.add (local.get $a) (i32.add (i32.mul (local.get $cy) (i32.shl (local.get $stride) (i32.const 2))) (i32.shl (local.get $cx) (i32.const 2)))))
            (local.set $pb (i32.add (local.get $b) (i32.sub (local.get $pa) (local.get $a))))
            (local.set $sum (v128.const i32x4 0 0 0 0))
            (local.set $r (i32.const 0))
            (loop $sampleRows
              (local.set $x (v128.load (local.get $pa)))
              (local.set $y (v128.load (local.get $pb)))
              ;; |x − y| per byte, summed in pairs into 16-bit lanes (at most 4 · 510: no overflow).
              (local.set $sum (i16x8.add (local.get $sum)
                (i16x8.extadd_pairwise_i8x16_u (v128.or (i8x16.sub_sat_u (local.get $x) (local.get $y)) (i8x16.sub_sat_u (local.get $y) (local.get $x))))))
              (local.set $pa (i32.add (local.get $pa) (local.get $stride)))
              (local.set $pb (i32.add (local.get $pb) (local.get $stride)))
              (local.set $r (i32.add (local.get $r) (i32.const 1)))
              (br_if $sampleRows (i32.lt_u (local.get $r) (i32.const 4))))
            (v128.store (local.get $out) (i32x4.extadd_pairwise_i16x8_u (local.get $sum)))
            (local.set $out (i32.add (local.get $out) (i32.const 16)))
            (local.set $cx (i32.add (local.get $cx) (i32.const 4)))
            (br $step)))
        ;; Back to the first entry of the next row (the last step may have gone past this one).
        (local.set $cy (i32.add (local.get $cy) (i32.const 1)))
        (local.set $out (i32.add (local.get $sads) (i32.shl (i32.mul (local.get $cy) (local.get $cells)) (i32.const 2))))
        (br $rows))))

  ;; The cell SADs of plane $a against $b, then the summed-area table at $over of the 8x8 blocks (2x2
  ;; cells) whose SAD is above $threshold: entry (by + 1)·cells + bx + 1 counts those with origin
  ;; before (bx + 1, by + 1); row 0 and column 0 are zero.
  (func (export "measure_plane") (param $a i32) (param $b i32) (param $cells i32) (param $cellRows i32) (param $sads i32) (param $over i32) (param $threshold i32)
    (local $by i32) (local $bx i32) (local $i i32) (local $count i32) (local $row i32) (local $at i32)
    (call $cell_sads (local.get $a) (local.get $b) (local.get $cells) (local.get $cellRows) (local.get $sads))
    (local.set $row (i32.shl (local.get $cells) (i32.const 2)))
    (memory.fill (local.get $over) (i32.const 0) (local.get $row))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (i32.add (local.get $by) (i32.const 1)) (local.get $cellRows)))
        (local.set $count (i32.const 0))
        (local.set $bx (i32.const 0))
        ;; $i: the block's top-left cell; $at: the table entry it sets.
        (local.set $i (i32.add (local.get $sads) (i32.mul (local.get $by) (local.get $row))))
        (local.set $at (i32.add (local.get $over) (i32.mul (i32.add (local.get $by) (i32.const 1)) (local.get $row))))
        (i32.store (local.get $at) (i32.const 0))
        (local.set $at (i32.add (local.get $at) (i32.const 4)))
        (block $blocksDone
          (loop $blocks
            (br_if $blocksDone (i32.ge_u (i32.add (local.get $bx) (i32.const 1)) (local.get $cells)))
            (local.set $count (i32.add (local.get $count)
              (i32.gt_s
                (i32.add
                  (i32.add (i32.load (local.get $i)) (i32.load offset=4 (local.get $i)))
                  (i32.add (i32.load (i32.add (local.get $i) (local.get $row))) (i32.load offset=4 (i32.add (local.get $i) (local.get $row)))))
                (local.get $threshold))))
            (i32.store (local.get $at) (i32.add (i32.load (i32.sub (local.get $at) (local.get $row))) (local.get $count)))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (local.set $at (i32.add (local.get $at) (i32.const 4)))
            (local.set $bx (i32.add (local.get $bx) (i32.const 1)))
            (br $blocks)))
        (local.set $by (i32.add (local.get $by) (i32.const 1)))
        (br $rows)))))
