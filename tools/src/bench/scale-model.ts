/**
 * A model of the distributed mode's speed on N machines for one episode: the time is the
 * coordinator's planning, the segments spread over the machines in waves (the last wave decides),
 * each segment's start-up, and the join, with the shared storage and Redis as possible ceilings.
 * Pure arithmetic; `pnpm bench:scale` prints its tables beside what it measured (docs/distributed.md).
 */

export interface Episode {
  /** Frames of the episode (24 min at 23.976 fps: 34,526). */
  frames: number
  fps: number
  /** Source bitrate in Mbit/s (what every machine reads over the network). */
  sourceMbps: number
  /** Output bitrate in Mbit/s (segments written, then read and written again by the join). */
  outputMbps: number
}

export interface Cluster {
  /** Frames per second one machine upscales and encodes. */
  machineFps: number
  /** Seconds a segment costs besides its frames: loading the model, starting ffmpeg twice, seeking. */
  segmentStartup: number
  /** The shared storage's bandwidth in Mbit/s (one NFS/SMB server on gigabit: ~900). */
  storageMbps: number
  /** Coordinator's planning: listing the source's packets (~1 s per GB read) and probing. */
  planSeconds: number
  /** Redis operations per second it serves on one core (a conservative figure for small commands). */
  redisOpsPerSecond: number
}

export interface ScalePoint {
  machines: number
  segments: number
  seconds: number
  /** Planning and join: the part no machine count shortens. */
  serialSeconds: number
  /** Frames per second of the whole job, planning and join included. */
  fps: number
  /** Speed-up over one machine. */
  speedup: number
  /** What bounds this point. */
  limit: string
}

/** Redis commands per segment (add, take, lock renewals, completion, coordinator reads) and per worker-second (progress, state polls). */
const REDIS_OPS_PER_SEGMENT = 40
const REDIS_OPS_PER_WORKER_SECOND = 6

function joinSeconds(episode: Episode, cluster: Cluster): number {
  const seconds = episode.frames / episode.fps
  // The join reads every segment and writes the output: twice the output's bytes through the storage.
  return (2 * episode.outputMbps * seconds) / cluster.storageMbps
}

/** Seconds one segment takes on one machine, given the machines sharing the storage at once. */
function segmentSeconds(frames: number, machines: number, episode: Episode, cluster: Cluster): { seconds: number; storageBound: boolean } {
  const compute = cluster.segmentStartup + frames / cluster.machineFps
  // Each machine reads the source and writes its segment at its own speed; together they share the storage.
  const bitsPerFrame = (episode.sourceMbps + episode.outputMbps) / episode.fps
  const storage = (frames * bitsPerFrame * machines) / cluster.storageMbps
  return storage > compute ? { seconds: storage + cluster.segmentStartup, storageBound: true } : { seconds: compute, storageBound: false }
}

/** The job's time on `machines` machines with segments of `segmentLength` seconds. */
export function scalePoint(machines: number, segmentLength: number, episode: Episode, cluster: Cluster): Omit<ScalePoint, 'speedup'> {
  const segmentFrames = Math.round(segmentLength * episode.fps)
  const segments = Math.max(1, Math.round(episode.frames / segmentFrames))
  const waves = Math.ceil(segments / machines)
  const busy = Math.min(machines, segments)
  const segment = segmentSeconds(episode.frames / segments, busy, episode, cluster)
  const work = waves * segment.seconds
  const join = joinSeconds(episode, cluster)
  const redisLoad = (segments * REDIS_OPS_PER_SEGMENT) / work + busy * REDIS_OPS_PER_WORKER_SECOND
  const seconds = cluster.planSeconds + work + join
  const serial = join + cluster.planSeconds
  const limit =
    redisLoad > cluster.redisOpsPerSecond
      ? 'Redis'
      : serial > work
        ? 'the join and the planning (serial)'
        : segment.storageBound
          ? 'storage: reading the source and writing segments'
          : machines >= segments
            ? 'segment length: every segment has its machine'
            : segments % machines !== 0
              ? `compute, last of ${waves} waves part-empty`
              : 'compute'
  return { machines, segments, seconds, serialSeconds: serial, fps: episode.frames / seconds, limit }
}

/** The curve for 1..max machines (powers of two). */
export function scaleCurve(segmentLength: number, episode: Episode, cluster: Cluster, maxMachines = 256): ScalePoint[] {
  const one = scalePoint(1, segmentLength, episode, cluster)
  const points: ScalePoint[] = []
  for (let machines = 1; machines <= maxMachines; machines *= 2) {
    const point = scalePoint(machines, segmentLength, episode, cluster)
    points.push({ ...point, speedup: one.seconds / point.seconds })
  }
  return points
}
