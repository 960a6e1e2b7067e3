//! COCO class names (the 80 used by the TF Object Detection API, keyed by
//! their 1-based ids in the 90-id map) and glint's phrase tables for them.

/// `(id, name)`: ids 12, 26, 29, 30, 45, 66, 68, 69, 71 and 83 are unused.
pub const LABELS: [(u32, &str); 80] = [
    (1, "person"), (2, "bicycle"), (3, "car"), (4, "motorcycle"), (5, "airplane"), (6, "bus"),
    (7, "train"), (8, "truck"), (9, "boat"), (10, "traffic light"), (11, "fire hydrant"),
    (13, "stop sign"), (14, "parking meter"), (15, "bench"), (16, "bird"), (17, "cat"), (18, "dog"),
    (19, "horse"), (20, "sheep"), (21, "cow"), (22, "elephant"), (23, "bear"), (24, "zebra"),
    (25, "giraffe"), (27, "backpack"), (28, "umbrella"), (31, "handbag"), (32, "tie"),
    (33, "suitcase"), (34, "frisbee"), (35, "skis"), (36, "snowboard"), (37, "sports ball"),
    (38, "kite"), (39, "baseball bat"), (40, "baseball glove"), (41, "skateboard"),
    (42, "surfboard"), (43, "tennis racket"), (44, "bottle"), (46, "wine glass"), (47, "cup"),
    (48, "fork"), (49, "knife"), (50, "spoon"), (51, "bowl"), (52, "banana"), (53, "apple"),
    (54, "sandwich"), (55, "orange"), (56, "broccoli"), (57, "carrot"), (58, "hot dog"),
    (59, "pizza"), (60, "donut"), (61, "cake"), (62, "chair"), (63, "couch"), (64, "potted plant"),
    (65, "bed"), (67, "dining table"), (70, "toilet"), (72, "tv"), (73, "laptop"), (74, "mouse"),
    (75, "remote"), (76, "keyboard"), (77, "cell phone"), (78, "microwave"), (79, "oven"),
    (80, "toaster"), (81, "sink"), (82, "refrigerator"), (84, "book"), (85, "clock"), (86, "vase"),
    (87, "scissors"), (88, "teddy bear"), (89, "hair drier"), (90, "toothbrush"),
];

/// The COCO name of a 1-based 90-map id.
pub fn label_of(id: u32) -> Option<&'static str> {
    LABELS.iter().find(|(i, _)| *i == id).map(|(_, n)| *n)
}

/// English words and phrases that mean a COCO class but that a sentence
/// encoder maps weakly (measured: "child" .48, "astronaut" .48, "espresso" .35).
pub const SYNONYMS: &[(&str, &str)] = &[
    ("people", "person"), ("man", "person"), ("woman", "person"), ("men", "person"),
    ("women", "person"), ("child", "person"), ("children", "person"), ("kid", "person"),
    ("boy", "person"), ("girl", "person"), ("baby", "person"), ("astronaut", "person"),
    ("human", "person"), ("pedestrian", "person"), ("lady", "person"), ("guy", "person"),
    ("bike", "bicycle"), ("motorbike", "motorcycle"), ("scooter", "motorcycle"),
    ("automobile", "car"), ("taxi", "car"), ("plane", "airplane"), ("aeroplane", "airplane"),
    ("jet", "airplane"), ("ship", "boat"), ("lorry", "truck"), ("kitten", "cat"),
    ("tabby", "cat"), ("puppy", "dog"), ("doggy", "dog"), ("pony", "horse"), ("lamb", "sheep"),
    ("calf", "cow"), ("mug", "cup"), ("coffee mug", "cup"), ("coffee cup", "cup"),
    ("teacup", "cup"), ("espresso", "cup"), ("coffee", "cup"), ("glass of wine", "wine glass"),
    ("sofa", "couch"), ("television", "tv"), ("tv set", "tv"), ("monitor", "tv"),
    ("screen", "tv"), ("phone", "cell phone"), ("cellphone", "cell phone"),
    ("mobile phone", "cell phone"), ("smartphone", "cell phone"), ("iphone", "cell phone"),
    ("notebook computer", "laptop"), ("table", "dining table"), ("desk", "dining table"),
    ("fridge", "refrigerator"), ("plant", "potted plant"), ("houseplant", "potted plant"),
    ("flowerpot", "vase"), ("ball", "sports ball"), ("football", "sports ball"),
    ("soccer ball", "sports ball"), ("doughnut", "donut"), ("hotdog", "hot dog"),
    ("hair dryer", "hair drier"), ("bag", "handbag"), ("purse", "handbag"), ("luggage", "suitcase"),
    ("teddy", "teddy bear"), ("stuffed animal", "teddy bear"), ("racket", "tennis racket"),
    ("computer mouse", "mouse"), ("remote control", "remote"), ("sandwiches", "sandwich"),
];

/// Chinese names of the COCO classes (simplified, with common variants).
pub const ZH: &[(&str, &str)] = &[
    ("人", "person"), ("行人", "person"), ("男人", "person"), ("女人", "person"), ("孩子", "person"),
    ("小孩", "person"), ("宇航员", "person"), ("自行车", "bicycle"), ("单车", "bicycle"),
    ("汽车", "car"), ("车", "car"), ("小汽车", "car"), ("摩托车", "motorcycle"), ("飞机", "airplane"),
    ("公交车", "bus"), ("公共汽车", "bus"), ("巴士", "bus"), ("火车", "train"), ("卡车", "truck"),
    ("船", "boat"), ("红绿灯", "traffic light"), ("交通灯", "traffic light"), ("消防栓", "fire hydrant"),
    ("停车标志", "stop sign"), ("停车计时器", "parking meter"), ("长椅", "bench"), ("鸟", "bird"),
    ("猫", "cat"), ("小猫", "cat"), ("猫咪", "cat"), ("狗", "dog"), ("小狗", "dog"), ("马", "horse"),
    ("羊", "sheep"), ("绵羊", "sheep"), ("牛", "cow"), ("奶牛", "cow"), ("大象", "elephant"),
    ("象", "elephant"), ("熊", "bear"), ("斑马", "zebra"), ("长颈鹿", "giraffe"), ("背包", "backpack"),
    ("雨伞", "umbrella"), ("伞", "umbrella"), ("手提包", "handbag"), ("包", "handbag"), ("领带", "tie"),
    ("行李箱", "suitcase"), ("手提箱", "suitcase"), ("飞盘", "frisbee"), ("滑雪板", "skis"),
    ("单板滑雪板", "snowboard"), ("球", "sports ball"), ("运动球", "sports ball"), ("风筝", "kite"),
    ("棒球棒", "baseball bat"), ("棒球手套", "baseball glove"), ("滑板", "skateboard"),
    ("冲浪板", "surfboard"), ("网球拍", "tennis racket"), ("瓶子", "bottle"), ("瓶", "bottle"),
    ("酒杯", "wine glass"), ("葡萄酒杯", "wine glass"), ("杯子", "cup"), ("杯", "cup"),
    ("咖啡杯", "cup"), ("马克杯", "cup"), ("茶杯", "cup"), ("叉子", "fork"), ("刀", "knife"),
    ("刀子", "knife"), ("勺子", "spoon"), ("汤匙", "spoon"), ("碗", "bowl"), ("香蕉", "banana"),
    ("苹果", "apple"), ("三明治", "sandwich"), ("橙子", "orange"), ("橘子", "orange"),
    ("西兰花", "broccoli"), ("胡萝卜", "carrot"), ("热狗", "hot dog"), ("披萨", "pizza"),
    ("比萨", "pizza"), ("甜甜圈", "donut"), ("蛋糕", "cake"), ("椅子", "chair"), ("沙发", "couch"),
    ("盆栽", "potted plant"), ("盆栽植物", "potted plant"), ("植物", "potted plant"), ("床", "bed"),
    ("餐桌", "dining table"), ("桌子", "dining table"), ("桌", "dining table"), ("马桶", "toilet"),
    ("电视", "tv"), ("电视机", "tv"), ("显示器", "tv"), ("笔记本电脑", "laptop"), ("电脑", "laptop"),
    ("鼠标", "mouse"), ("遥控器", "remote"), ("键盘", "keyboard"), ("手机", "cell phone"),
    ("电话", "cell phone"), ("微波炉", "microwave"), ("烤箱", "oven"), ("烤面包机", "toaster"),
    ("水槽", "sink"), ("洗手池", "sink"), ("冰箱", "refrigerator"), ("书", "book"), ("书本", "book"),
    ("钟", "clock"), ("时钟", "clock"), ("花瓶", "vase"), ("剪刀", "scissors"),
    ("泰迪熊", "teddy bear"), ("玩具熊", "teddy bear"), ("吹风机", "hair drier"),
    ("电吹风", "hair drier"), ("牙刷", "toothbrush"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_target_is_a_label() {
        for (_, target) in SYNONYMS.iter().chain(ZH) {
            assert!(LABELS.iter().any(|(_, n)| n == target), "{target} is not a COCO label");
        }
        assert_eq!(label_of(17), Some("cat"));
        assert_eq!(label_of(12), None);
    }
}
