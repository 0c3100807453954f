/// Word lists for plausible Chinese names, addresses and record texts.
enum Vocabulary {
    static let surnames = Array("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
        .map(String.init)
    static let givenNameCharacters = Array("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉斌宇浩凯健俊帆帅旭宁昊晨欣怡梓涵子轩雨萱思远嘉豪佳琪文博志刚建国建华晓东海燕丹丹春梅")
        .map(String.init)

    /// Short names of the 13 prefectures for decision numbers (宁 = 南京 …), by prefecture index 0–12.
    static let prefectureAbbreviations = ["宁", "锡", "徐", "常", "苏", "通", "连", "淮", "盐", "扬", "镇", "泰", "宿"]
    /// Relative numbers of registered businesses per prefecture (Suzhou largest), by prefecture index.
    static let prefectureWeights: [Double] = [13, 10, 8, 7, 20, 8, 4, 5, 6, 5, 4, 5, 5]

    static let brandWords = Array("恒瑞华盛鑫达宏远博创天成金泰永兴中联润发新元嘉禾长江汇通东方明辉瑞丰高科锦程万邦立信百川正德同创宏图卓越诚信弘毅智汇")
        .map(String.init)
    static let streets = ["中山路", "人民路", "解放路", "建设路", "长江路", "黄河路", "太湖路", "新华路", "文化路", "工业园路",
                          "科技大道", "开发区大道", "淮海路", "珠江路", "东风路", "和平路", "青年路", "府前街", "运河路", "滨江大道"]

    /// Industries (GB/T 4754 sections) with the words their firm names use and the share of firms.
    struct Industry {
        let name: String
        let nameWords: [String]
        let enterpriseWeight: Double
        let individualWeight: Double
        /// Whether firms of the industry file patents and can be high-tech enterprises.
        let isTechnical: Bool
        /// Whether firms of the industry import and export.
        let trades: Bool
    }

    static let industries: [Industry] = [
        Industry(name: "制造业", nameWords: ["精密机械", "电子科技", "新材料", "智能装备", "纺织", "化工", "汽车零部件"],
                 enterpriseWeight: 22, individualWeight: 4, isTechnical: true, trades: true),
        Industry(name: "批发和零售业", nameWords: ["商贸", "贸易", "百货", "供应链", "便利店", "超市"],
                 enterpriseWeight: 28, individualWeight: 48, isTechnical: false, trades: true),
        Industry(name: "住宿和餐饮业", nameWords: ["餐饮", "酒店", "小吃店", "面馆"],
                 enterpriseWeight: 4, individualWeight: 18, isTechnical: false, trades: false),
        Industry(name: "建筑业", nameWords: ["建设工程", "建筑安装", "装饰工程", "市政工程"],
                 enterpriseWeight: 9, individualWeight: 2, isTechnical: false, trades: false),
        Industry(name: "信息传输、软件和信息技术服务业", nameWords: ["信息技术", "软件", "网络科技", "数据服务"],
                 enterpriseWeight: 8, individualWeight: 1, isTechnical: true, trades: false),
        Industry(name: "交通运输、仓储和邮政业", nameWords: ["物流", "运输", "仓储"],
                 enterpriseWeight: 5, individualWeight: 6, isTechnical: false, trades: false),
        Industry(name: "租赁和商务服务业", nameWords: ["企业管理咨询", "人力资源", "广告", "会展服务"],
                 enterpriseWeight: 11, individualWeight: 3, isTechnical: false, trades: false),
        Industry(name: "科学研究和技术服务业", nameWords: ["生物科技", "环保科技", "检测技术", "工程设计"],
                 enterpriseWeight: 7, individualWeight: 1, isTechnical: true, trades: false),
        Industry(name: "居民服务、修理和其他服务业", nameWords: ["家政服务", "汽车维修", "美容美发", "洗衣"],
                 enterpriseWeight: 3, individualWeight: 14, isTechnical: false, trades: false),
        Industry(name: "农、林、牧、渔业", nameWords: ["农业科技", "生态农业", "水产养殖", "花木"],
                 enterpriseWeight: 3, individualWeight: 3, isTechnical: false, trades: false),
    ]

    /// The agriculture section, the industry of every cooperative.
    static let agriculture = industries[industries.count - 1]

    static let socialOrganisationNames = ["商会", "行业协会", "志愿者协会", "慈善基金会", "培训中心", "养老服务中心", "研究会"]
    static let cooperativeProducts = ["蔬菜", "水稻", "花木", "水产", "果品", "茶叶", "养殖", "农机"]

    static let penaltyViolations = [
        ("市场监督管理局", ["销售不符合食品安全标准的食品", "虚假宣传", "未按规定公示年度报告", "无照经营", "计量器具未经检定"]),
        ("生态环境局", ["超标排放大气污染物", "未批先建", "危险废物贮存不规范"]),
        ("应急管理局", ["未按规定开展安全生产培训", "安全设施未经验收投入使用"]),
        ("税务局", ["未按期申报纳税", "未按规定开具发票"]),
    ]
    static let taxViolations = ["虚开增值税专用发票", "偷税", "逃避追缴欠税", "骗取出口退税"]
    static let obligations = ["支付货款及利息", "偿还借款本息", "支付工程款", "支付劳动报酬", "支付租金"]
    static let litigationCauses = ["买卖合同纠纷", "借款合同纠纷", "劳动争议", "建设工程施工合同纠纷", "租赁合同纠纷", "金融借款合同纠纷"]
    static let commitmentTypes = ["行政许可信用承诺", "证明事项告知承诺", "涉企经营许可承诺", "信用修复承诺"]
    static let patentSubjects = ["传感器", "控制系统", "冷却装置", "复合材料", "检测方法", "连接结构", "数据处理方法", "驱动组件"]
    static let mobilePrefixes = ["134", "135", "136", "137", "138", "139", "150", "151", "152", "157", "158", "159",
                                 "182", "183", "187", "188", "130", "131", "132", "155", "156", "185", "186", "133",
                                 "153", "180", "181", "189", "177", "199"]
    /// Bank identification numbers of debit cards of large banks.
    static let cardBINs = ["622848", "621700", "622202", "621661", "622588", "621483", "622609"]
    /// Divisions outside Jiangsu that some residents were born in.
    static let outsideDivisions = [340104, 370102, 410105, 330106, 310115]
}
