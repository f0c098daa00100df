from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DropPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DROP_POLICY_UNSPECIFIED: _ClassVar[DropPolicy]
    DROP_POLICY_LATEST: _ClassVar[DropPolicy]
    DROP_POLICY_ALL: _ClassVar[DropPolicy]

class PixelFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PIXEL_FORMAT_UNSPECIFIED: _ClassVar[PixelFormat]
    PIXEL_FORMAT_BGR8: _ClassVar[PixelFormat]
    PIXEL_FORMAT_RGB8: _ClassVar[PixelFormat]
    PIXEL_FORMAT_GRAY8: _ClassVar[PixelFormat]

class TrackState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRACK_STATE_UNSPECIFIED: _ClassVar[TrackState]
    TRACK_STATE_TENTATIVE: _ClassVar[TrackState]
    TRACK_STATE_CONFIRMED: _ClassVar[TrackState]
    TRACK_STATE_COASTING: _ClassVar[TrackState]
DROP_POLICY_UNSPECIFIED: DropPolicy
DROP_POLICY_LATEST: DropPolicy
DROP_POLICY_ALL: DropPolicy
PIXEL_FORMAT_UNSPECIFIED: PixelFormat
PIXEL_FORMAT_BGR8: PixelFormat
PIXEL_FORMAT_RGB8: PixelFormat
PIXEL_FORMAT_GRAY8: PixelFormat
TRACK_STATE_UNSPECIFIED: TrackState
TRACK_STATE_TENTATIVE: TrackState
TRACK_STATE_CONFIRMED: TrackState
TRACK_STATE_COASTING: TrackState

class TrackRequest(_message.Message):
    __slots__ = ("config", "frame")
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    FRAME_FIELD_NUMBER: _ClassVar[int]
    config: StreamConfig
    frame: Frame
    def __init__(self, config: _Optional[_Union[StreamConfig, _Mapping]] = ..., frame: _Optional[_Union[Frame, _Mapping]] = ...) -> None: ...

class StreamConfig(_message.Message):
    __slots__ = ("stream_id", "detector", "embedder", "classes", "min_score", "tracker", "drop_policy", "fps", "camera_motion", "image_width", "image_height")
    STREAM_ID_FIELD_NUMBER: _ClassVar[int]
    DETECTOR_FIELD_NUMBER: _ClassVar[int]
    EMBEDDER_FIELD_NUMBER: _ClassVar[int]
    CLASSES_FIELD_NUMBER: _ClassVar[int]
    MIN_SCORE_FIELD_NUMBER: _ClassVar[int]
    TRACKER_FIELD_NUMBER: _ClassVar[int]
    DROP_POLICY_FIELD_NUMBER: _ClassVar[int]
    FPS_FIELD_NUMBER: _ClassVar[int]
    CAMERA_MOTION_FIELD_NUMBER: _ClassVar[int]
    IMAGE_WIDTH_FIELD_NUMBER: _ClassVar[int]
    IMAGE_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    stream_id: str
    detector: str
    embedder: str
    classes: _containers.RepeatedScalarFieldContainer[int]
    min_score: float
    tracker: TrackerParams
    drop_policy: DropPolicy
    fps: float
    camera_motion: str
    image_width: int
    image_height: int
    def __init__(self, stream_id: _Optional[str] = ..., detector: _Optional[str] = ..., embedder: _Optional[str] = ..., classes: _Optional[_Iterable[int]] = ..., min_score: _Optional[float] = ..., tracker: _Optional[_Union[TrackerParams, _Mapping]] = ..., drop_policy: _Optional[_Union[DropPolicy, str]] = ..., fps: _Optional[float] = ..., camera_motion: _Optional[str] = ..., image_width: _Optional[int] = ..., image_height: _Optional[int] = ...) -> None: ...

class TrackerParams(_message.Message):
    __slots__ = ("max_age", "n_init", "max_iou_distance", "max_appearance_distance", "appearance_weight", "appearance", "gallery_budget", "ema_momentum", "gating_threshold", "disable_motion_gating", "cascade", "min_score", "high_score", "low_score_iou_distance", "new_track_min_score", "class_aware", "assignment_backend", "report_misses", "appearance_fusion", "observation_reupdate", "iou_gate_frame_rate_power", "appearance_skip_iou", "disable_appearance_skip", "appearance_refresh", "score_fusion", "coast_report", "kalman_state", "iou_buffer", "camera_velocity_gain", "camera_alignment", "confirm_first_frame", "coast_min_iou", "aspect_noise", "min_inside_image", "report_detection_weight", "learn_report_detection_weight", "coast_max_scale", "merge_width")
    MAX_AGE_FIELD_NUMBER: _ClassVar[int]
    N_INIT_FIELD_NUMBER: _ClassVar[int]
    MAX_IOU_DISTANCE_FIELD_NUMBER: _ClassVar[int]
    MAX_APPEARANCE_DISTANCE_FIELD_NUMBER: _ClassVar[int]
    APPEARANCE_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    APPEARANCE_FIELD_NUMBER: _ClassVar[int]
    GALLERY_BUDGET_FIELD_NUMBER: _ClassVar[int]
    EMA_MOMENTUM_FIELD_NUMBER: _ClassVar[int]
    GATING_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    DISABLE_MOTION_GATING_FIELD_NUMBER: _ClassVar[int]
    CASCADE_FIELD_NUMBER: _ClassVar[int]
    MIN_SCORE_FIELD_NUMBER: _ClassVar[int]
    HIGH_SCORE_FIELD_NUMBER: _ClassVar[int]
    LOW_SCORE_IOU_DISTANCE_FIELD_NUMBER: _ClassVar[int]
    NEW_TRACK_MIN_SCORE_FIELD_NUMBER: _ClassVar[int]
    CLASS_AWARE_FIELD_NUMBER: _ClassVar[int]
    ASSIGNMENT_BACKEND_FIELD_NUMBER: _ClassVar[int]
    REPORT_MISSES_FIELD_NUMBER: _ClassVar[int]
    APPEARANCE_FUSION_FIELD_NUMBER: _ClassVar[int]
    OBSERVATION_REUPDATE_FIELD_NUMBER: _ClassVar[int]
    IOU_GATE_FRAME_RATE_POWER_FIELD_NUMBER: _ClassVar[int]
    APPEARANCE_SKIP_IOU_FIELD_NUMBER: _ClassVar[int]
    DISABLE_APPEARANCE_SKIP_FIELD_NUMBER: _ClassVar[int]
    APPEARANCE_REFRESH_FIELD_NUMBER: _ClassVar[int]
    SCORE_FUSION_FIELD_NUMBER: _ClassVar[int]
    COAST_REPORT_FIELD_NUMBER: _ClassVar[int]
    KALMAN_STATE_FIELD_NUMBER: _ClassVar[int]
    IOU_BUFFER_FIELD_NUMBER: _ClassVar[int]
    CAMERA_VELOCITY_GAIN_FIELD_NUMBER: _ClassVar[int]
    CAMERA_ALIGNMENT_FIELD_NUMBER: _ClassVar[int]
    CONFIRM_FIRST_FRAME_FIELD_NUMBER: _ClassVar[int]
    COAST_MIN_IOU_FIELD_NUMBER: _ClassVar[int]
    ASPECT_NOISE_FIELD_NUMBER: _ClassVar[int]
    MIN_INSIDE_IMAGE_FIELD_NUMBER: _ClassVar[int]
    REPORT_DETECTION_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    LEARN_REPORT_DETECTION_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    COAST_MAX_SCALE_FIELD_NUMBER: _ClassVar[int]
    MERGE_WIDTH_FIELD_NUMBER: _ClassVar[int]
    max_age: float
    n_init: int
    max_iou_distance: float
    max_appearance_distance: float
    appearance_weight: float
    appearance: str
    gallery_budget: int
    ema_momentum: float
    gating_threshold: float
    disable_motion_gating: bool
    cascade: bool
    min_score: float
    high_score: float
    low_score_iou_distance: float
    new_track_min_score: float
    class_aware: bool
    assignment_backend: str
    report_misses: float
    appearance_fusion: str
    observation_reupdate: bool
    iou_gate_frame_rate_power: float
    appearance_skip_iou: float
    disable_appearance_skip: bool
    appearance_refresh: float
    score_fusion: str
    coast_report: str
    kalman_state: str
    iou_buffer: float
    camera_velocity_gain: float
    camera_alignment: bool
    confirm_first_frame: bool
    coast_min_iou: float
    aspect_noise: float
    min_inside_image: float
    report_detection_weight: float
    learn_report_detection_weight: bool
    coast_max_scale: float
    merge_width: float
    def __init__(self, max_age: _Optional[float] = ..., n_init: _Optional[int] = ..., max_iou_distance: _Optional[float] = ..., max_appearance_distance: _Optional[float] = ..., appearance_weight: _Optional[float] = ..., appearance: _Optional[str] = ..., gallery_budget: _Optional[int] = ..., ema_momentum: _Optional[float] = ..., gating_threshold: _Optional[float] = ..., disable_motion_gating: _Optional[bool] = ..., cascade: _Optional[bool] = ..., min_score: _Optional[float] = ..., high_score: _Optional[float] = ..., low_score_iou_distance: _Optional[float] = ..., new_track_min_score: _Optional[float] = ..., class_aware: _Optional[bool] = ..., assignment_backend: _Optional[str] = ..., report_misses: _Optional[float] = ..., appearance_fusion: _Optional[str] = ..., observation_reupdate: _Optional[bool] = ..., iou_gate_frame_rate_power: _Optional[float] = ..., appearance_skip_iou: _Optional[float] = ..., disable_appearance_skip: _Optional[bool] = ..., appearance_refresh: _Optional[float] = ..., score_fusion: _Optional[str] = ..., coast_report: _Optional[str] = ..., kalman_state: _Optional[str] = ..., iou_buffer: _Optional[float] = ..., camera_velocity_gain: _Optional[float] = ..., camera_alignment: _Optional[bool] = ..., confirm_first_frame: _Optional[bool] = ..., coast_min_iou: _Optional[float] = ..., aspect_noise: _Optional[float] = ..., min_inside_image: _Optional[float] = ..., report_detection_weight: _Optional[float] = ..., learn_report_detection_weight: _Optional[bool] = ..., coast_max_scale: _Optional[float] = ..., merge_width: _Optional[float] = ...) -> None: ...

class Frame(_message.Message):
    __slots__ = ("frame_id", "timestamp", "encoded", "raw", "detections")
    FRAME_ID_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    ENCODED_FIELD_NUMBER: _ClassVar[int]
    RAW_FIELD_NUMBER: _ClassVar[int]
    DETECTIONS_FIELD_NUMBER: _ClassVar[int]
    frame_id: int
    timestamp: float
    encoded: bytes
    raw: RawImage
    detections: Detections
    def __init__(self, frame_id: _Optional[int] = ..., timestamp: _Optional[float] = ..., encoded: _Optional[bytes] = ..., raw: _Optional[_Union[RawImage, _Mapping]] = ..., detections: _Optional[_Union[Detections, _Mapping]] = ...) -> None: ...

class RawImage(_message.Message):
    __slots__ = ("width", "height", "format", "data")
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    width: int
    height: int
    format: PixelFormat
    data: bytes
    def __init__(self, width: _Optional[int] = ..., height: _Optional[int] = ..., format: _Optional[_Union[PixelFormat, str]] = ..., data: _Optional[bytes] = ...) -> None: ...

class Box(_message.Message):
    __slots__ = ("x1", "y1", "x2", "y2")
    X1_FIELD_NUMBER: _ClassVar[int]
    Y1_FIELD_NUMBER: _ClassVar[int]
    X2_FIELD_NUMBER: _ClassVar[int]
    Y2_FIELD_NUMBER: _ClassVar[int]
    x1: float
    y1: float
    x2: float
    y2: float
    def __init__(self, x1: _Optional[float] = ..., y1: _Optional[float] = ..., x2: _Optional[float] = ..., y2: _Optional[float] = ...) -> None: ...

class Detections(_message.Message):
    __slots__ = ("boxes", "scores", "class_ids")
    BOXES_FIELD_NUMBER: _ClassVar[int]
    SCORES_FIELD_NUMBER: _ClassVar[int]
    CLASS_IDS_FIELD_NUMBER: _ClassVar[int]
    boxes: _containers.RepeatedScalarFieldContainer[float]
    scores: _containers.RepeatedScalarFieldContainer[float]
    class_ids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, boxes: _Optional[_Iterable[float]] = ..., scores: _Optional[_Iterable[float]] = ..., class_ids: _Optional[_Iterable[int]] = ...) -> None: ...

class Track(_message.Message):
    __slots__ = ("track_id", "box", "score", "class_id", "state", "age")
    TRACK_ID_FIELD_NUMBER: _ClassVar[int]
    BOX_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    CLASS_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    AGE_FIELD_NUMBER: _ClassVar[int]
    track_id: int
    box: Box
    score: float
    class_id: int
    state: TrackState
    age: int
    def __init__(self, track_id: _Optional[int] = ..., box: _Optional[_Union[Box, _Mapping]] = ..., score: _Optional[float] = ..., class_id: _Optional[int] = ..., state: _Optional[_Union[TrackState, str]] = ..., age: _Optional[int] = ...) -> None: ...

class StageTimings(_message.Message):
    __slots__ = ("decode", "detect", "embed", "track", "queue", "total")
    DECODE_FIELD_NUMBER: _ClassVar[int]
    DETECT_FIELD_NUMBER: _ClassVar[int]
    EMBED_FIELD_NUMBER: _ClassVar[int]
    TRACK_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    decode: float
    detect: float
    embed: float
    track: float
    queue: float
    total: float
    def __init__(self, decode: _Optional[float] = ..., detect: _Optional[float] = ..., embed: _Optional[float] = ..., track: _Optional[float] = ..., queue: _Optional[float] = ..., total: _Optional[float] = ...) -> None: ...

class TrackResponse(_message.Message):
    __slots__ = ("frame_id", "timestamp", "tracks", "timings", "frames_dropped", "error", "batch_size")
    FRAME_ID_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    TRACKS_FIELD_NUMBER: _ClassVar[int]
    TIMINGS_FIELD_NUMBER: _ClassVar[int]
    FRAMES_DROPPED_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    frame_id: int
    timestamp: float
    tracks: _containers.RepeatedCompositeFieldContainer[Track]
    timings: StageTimings
    frames_dropped: int
    error: str
    batch_size: int
    def __init__(self, frame_id: _Optional[int] = ..., timestamp: _Optional[float] = ..., tracks: _Optional[_Iterable[_Union[Track, _Mapping]]] = ..., timings: _Optional[_Union[StageTimings, _Mapping]] = ..., frames_dropped: _Optional[int] = ..., error: _Optional[str] = ..., batch_size: _Optional[int] = ...) -> None: ...

class GetInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ModelInfo(_message.Message):
    __slots__ = ("role", "name", "detail")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    role: str
    name: str
    detail: str
    def __init__(self, role: _Optional[str] = ..., name: _Optional[str] = ..., detail: _Optional[str] = ...) -> None: ...

class ServerInfo(_message.Message):
    __slots__ = ("version", "device", "models", "versions", "max_sessions", "max_batch", "max_pixels", "max_message_bytes", "ready")
    class VersionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    VERSION_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    MODELS_FIELD_NUMBER: _ClassVar[int]
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    MAX_SESSIONS_FIELD_NUMBER: _ClassVar[int]
    MAX_BATCH_FIELD_NUMBER: _ClassVar[int]
    MAX_PIXELS_FIELD_NUMBER: _ClassVar[int]
    MAX_MESSAGE_BYTES_FIELD_NUMBER: _ClassVar[int]
    READY_FIELD_NUMBER: _ClassVar[int]
    version: str
    device: str
    models: _containers.RepeatedCompositeFieldContainer[ModelInfo]
    versions: _containers.ScalarMap[str, str]
    max_sessions: int
    max_batch: int
    max_pixels: int
    max_message_bytes: int
    ready: bool
    def __init__(self, version: _Optional[str] = ..., device: _Optional[str] = ..., models: _Optional[_Iterable[_Union[ModelInfo, _Mapping]]] = ..., versions: _Optional[_Mapping[str, str]] = ..., max_sessions: _Optional[int] = ..., max_batch: _Optional[int] = ..., max_pixels: _Optional[int] = ..., max_message_bytes: _Optional[int] = ..., ready: _Optional[bool] = ...) -> None: ...
