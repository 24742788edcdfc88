"""What a question asks for (index/answer_types.py), the near-miss signal of the second stage
and of the answer layer's abstention."""

from __future__ import annotations

import pytest

from index.answer_types import ANSWER_TYPES, asked_in, asked_types
from index.unstated import unstated


def names(question: str) -> list[str]:
    return [kind.name for kind in asked_types(question)]


@pytest.mark.parametrize(("question", "expected"), [
    ("养老机构床位补贴每张多少钱？", ["money"]),
    ("开家政公司注册资本最低要多少？", ["money"]),
    ("甘肃80岁以上老人的高龄津贴每月发多少？", ["money"]),
    ("通过信易贷平台贷款，年利率一般是多少？", ["rate"]),
    ("今年老旧小区改造项目申报截止到几月几号？", ["date"]),
    ("图书馆开放时间是几点到几点？", ["clock"]),
    ("一张执照最多能挂几个地址？", ["count"]),
    ("社区卫生服务中心预约挂号电话是多少？", ["contact"]),
    ("托育机构备案需要准备哪些材料？", ["form"]),
    ("敦煌莫高窟门票多少钱，要提前几天预约？", ["money", "date"]),
    ("个体户的营业执照怎么办理？", ["procedure"]),
    ("早餐车进社区摆摊要办什么手续？", ["procedure"]),
    ("医保卡丢了怎么补办？", ["procedure"]),             # replacing a lost card is a procedure
    ("旅行社要交多少质量保证金？", ["money"]),          # a sum of a deposit, a tax, a loan
    ("招用退役军人能减免多少税？", ["money"]),
    ("小微企业最高能贷多少？", ["money"]),
    ("增值税税率是多少？", ["rate"]),                    # a rate, not a sum of tax
    ("养老院要配几个护理员？", ["count"]),
    ("12345热线能投诉吗？", ["contact"]),
    ("国家中小企业发展基金的总规模有多少亿元？", ["money"]),   # a sum in 万元 or 亿元
    ("跟团游的意外险保额最少得买多少？", ["money"]),
    ("平台要收多少服务费？", ["money"]),
    ("住院费用能报销百分之多少？", ["rate"]),
    ("医疗机构执业许可证的有效期是几年？", ["date"]),        # a period asked as 有效期, 几年, 多少年
    ("社保要交满多少年才能按月领养老金？", ["date"]),
])
def test_questions_asking_for_a_specific_answer(question, expected):
    assert names(question) == expected


@pytest.mark.parametrize("question", [
    "推动社区基础服务设施达标由哪个部门牵头？",
    "商场周末想在步行街周边搞促销，场地收费吗？",  # yes or no, not an amount
    "奶奶跟我们在省城住了好几年，这边给老人的福利她能享受吗？",  # 好几年 is not a question word
    "企业吸纳高校毕业生有什么补贴？",  # which support, not how much
    "普惠性幼儿园覆盖率要达到多少？",  # a target the plan states as a percentage
    "独居老人没人照应怎么办？",  # asks for help, not for a procedure
    "这项工作归哪几个部门牵头？",  # which departments, not how many
    "我们在好几个小区都有网点，能统一备案吗？",  # 好几个, 了几名, 这几个: several, not how many
    "今年招了几名大学生，有补贴吗？",
    # a few people described, not counted (library dev, session 8)
    "我们几个朋友想给山区孩子公开募捐，没有资格该怎么办？",
    "我儿子在学校被几个同学围着打，学校该怎么处理？",
    "几户邻居想轮流帮着看孩子，政府支持吗？",
    "小区活动中心空着，几个老住户想自己管起来，行不行？",
    # a telephone number named, not asked for
    "旅行社把我的身份证号、电话泄露给推销的了，算违规吧？",
    "再过几年，新盖的小区是不是都得配上托育的地方？",  # 过几年: in a few years, no period asked
])
def test_questions_not_asking_for_one(question):
    assert names(question) == []


@pytest.mark.parametrize(("question", "expected"), [
    ("兰州有多少个国家文旅消费试点城市？", ["count"]),   # 消费 is no fee
    ("多少人可以免费乘车？", ["count"]),
    ("有多少家银行提供贷款？", ["count"]),
])
def test_a_count_of_things_named_near_money_words_is_still_a_count(question, expected):
    assert names(question) == expected


def test_a_clause_states_the_answer_in_its_own_way():
    money, = asked_types("每户补助标准是多少？")
    assert money.stated_in("每户补助3000元") and money.stated_in("每户补助三千元")
    assert not money.stated_in("对符合条件的家庭给予适当补助")
    count, = asked_types("多少岁以上算老年人？")
    assert count.stated_in("本法所称老年人是指六十周岁以上的公民")
    # a year or a share is no count of anything
    count, = asked_types("每个县至少要建几个服务点？")
    assert not count.stated_in("到2025年，服务覆盖率达到100%")
    assert count.stated_in("每个县至少建设2个服务点")
    # an article number or 一批 counts nothing
    assert not count.stated_in("违反本法第四十四条规定的") and not count.stated_in("培育一批品牌")


def test_a_procedure_is_stated_by_where_to_apply_not_by_a_promise_to_simplify():
    procedure, = asked_types("慈善组织怎么办理登记？")
    assert procedure.stated_in("设立慈善组织，应当向县级以上人民政府民政部门申请登记")
    assert not procedure.stated_in("简化普惠性生活服务企业审批程序，推广实施“一照多址”注册登记")


def test_a_procedure_must_be_for_what_the_question_asks_to_get_done():
    """社会保险法 §57 says where to register for social insurance, bringing a business licence:
    no procedure for getting the licence (the library issue's 个体户的营业执照怎么办理)."""
    licence = "个体户的营业执照怎么办理"
    article_57 = "用人单位应当自成立之日起三十日内凭营业执照、登记证书或者单位印章，向当地社会保险经办机构申请办理社会保险登记。"
    assert unstated(licence, [article_57]).name == "procedure"
    assert unstated(licence, ["个体工商户向登记机关申请办理营业执照，提交经营场所证明"]) is None
    # a part of the question's word is enough (失业 of 失业金)
    assert unstated("想领失业金，得先去哪儿办手续？", ["失业人员应当及时到指定的公共就业服务机构办理失业登记。"]) is None
    # the object may lead the clause
    assert unstated("老年人优待证怎么办理", ["老年人优待证由本人向户籍所在地乡镇人民政府申请办理"]) is None
    # a question naming nothing but the asking: any procedure answers it
    assert unstated("怎么办理？", ["向民政部门申请登记"]) is None


def test_unstated_is_the_first_kind_no_text_states():
    question = "敦煌莫高窟门票多少钱，要提前几天预约？"
    assert unstated(question, ["门票价格为每人120元"]).name == "date"
    assert unstated(question, ["门票价格为每人120元", "需提前3天预约"]) is None
    assert unstated(question, []).name == "money"
    assert unstated("由哪个部门牵头？", []) is None


@pytest.mark.parametrize("question, expected", [
    # asked outright, in any clause that ends with the ask, or in the last one
    ("养老机构床位补贴每张多少钱？", ["money"]),
    ("补贴标准是多少，怎么申请？", ["money", "procedure"]),
    ("有没有规定每人补多少钱？", ["money"]),            # 有没有 wraps the amount asked for
    ("我们县的老旧小区什么时候改造", ["date"]),
    # a story before the question, a number inside a yes/no clause or inside an earlier clause
    # that goes on, a denied quantity: nothing of the kind is asked
    ("我爸中风了，用几个月可能就用不上了。社区能不能租轮椅？", []),
    ("发生大灾时搞募捐，收了多少钱会不会及时晒出来？", []),
    ("兄弟三个想把每人每月出多少钱写下来，这种家里签的协议算数吗？", []),
    ("问我失业多久了，我必须照实说吗？", []),
    ("社区服务中心一年到头没几个人用，上面有啥办法让它用起来？", []),
])
def test_what_is_asked_is_read_in_the_asking_part(question, expected):
    assert [kind.name for kind in asked_in(question)] == expected
    assert (unstated(question, ["无关的条文"]) is None) == (not expected)


def test_a_sum_asked_as_a_cap_is_also_stated_by_a_share():
    rule = "管理费用不得超过当年总支出的百分之十三"
    assert unstated("慈善组织的管理费不能超过多少？", [rule]) is None
    # a sum asked outright is not answered by a share
    assert unstated("慈善组织的管理费是多少钱？", [rule]).name == "money"


def test_a_share_named_is_no_share_stated_and_claiming_is_a_procedure():
    # 超过规定比例 names a share without stating it
    assert unstated("安排残疾人就业的比例具体是多少？", ["国家鼓励用人单位超过规定比例安排残疾人就业。"]).name == "rate"
    assert unstated("安排残疾人就业的比例具体是多少？", ["比例不得低于本单位职工总数的百分之一点五"]) is None
    assert names("上海的老年综合津贴是怎么申领的？") == ["procedure"]


def test_every_kind_has_a_label_for_the_abstention_and_a_unique_name():
    assert len({kind.name for kind in ANSWER_TYPES}) == len(ANSWER_TYPES)
    assert all(kind.label for kind in ANSWER_TYPES)


def test_markup_is_kept_in_the_question_shown_and_out_of_what_is_searched():
    from index.query import Query

    query = Query.parse('<img src=x onerror="alert(1)"><b>谁牵头推动社区基础服务设施达标？')
    assert query.text == "谁牵头推动社区基础服务设施达标？"
    assert query.shown.startswith("<img src=x")
    assert "onerror" not in query.tokens
    plain = Query.parse("谁牵头推动社区基础服务设施达标？")
    assert plain.shown == plain.text and plain.written == ""


def test_a_sum_charged_in_proportion_is_stated_by_a_share_or_a_multiple():
    late = "按日加收万分之五的滞纳金"
    assert unstated("公司拖欠社保费会被加收多少滞纳金？", [late]) is None
    assert unstated("骗取补贴要罚多少钱？", ["处骗取金额二倍以上五倍以下的罚款"]) is None
    # a fee that is no charge on something else still needs a sum
    assert unstated("办证要交多少费用？", ["按日加收万分之五"]).name == "money"


TARGET_2025 = "到2025年，每千人口拥有3岁以下婴幼儿托位数达到4.5个，社区托育服务机构覆盖率达到50%以上。"


@pytest.mark.parametrize("question", ["社区托育服务机构覆盖率50%的目标，截至2023年底完成了多少？",
                                      "社区托育服务机构现在实际覆盖率是多少？", "每千人口执业医师3.2人这个目标，酒泉市现在达到了没有？"])
def test_progress_asked_is_not_stated_by_a_target(question):
    assert unstated(question, [TARGET_2025]).name == "status"


def test_a_figure_asked_for_a_year_no_text_names_is_unstated():
    gap = unstated("到2030年每千人口拥有的婴幼儿托位数要达到多少个？", [TARGET_2025])
    assert gap.name == "year" and "2030年" in gap.label
    assert unstated("到2025年每千人口拥有的婴幼儿托位数要达到多少个？", [TARGET_2025]) is None
    # a year named beside a question asking no figure asks for none
    assert unstated("2022年修订的职业教育法从几月几号起施行？", ["本法自2022年5月1日起施行。"]) is None


def test_a_target_asked_up_to_its_year_is_no_progress_asked():
    assert unstated("截至2025年每千人口托位数要达到多少个？", [TARGET_2025]) is None
    assert unstated("截至目前每千人口托位数有多少个？", [TARGET_2025]).name == "status"


def test_progress_a_five_year_plan_and_a_real_contact():
    built = "到2025年，建成城市书房、文化驿站等新型公共文化设施300个。"
    assert unstated("方案里说要建300个城市书房，现在建成了多少个？", [built]).name == "status"
    assert unstated("“十五五”期间要建多少个城市书房？", [built]).label == "“十五五”期间的情况"
    assert unstated("到2025年建成多少个城市书房？", [built]) is None
    # the word 网站 gives no address: a web address or number asked is still unstated
    assert unstated("“甘肃信易贷”平台的网址是多少？", ["依托省级信用平台网站和“甘肃信易贷”平台"]).name == "contact"
    assert unstated("投诉电话是多少？", ["可拨打12345热线反映"]) is None


def test_the_asking_part_leaves_the_story_out():
    from index.answer_types import asking_part

    story = "报了个399元的云南五日游，导游天天拉我们进玉石店，买的镯子回家越想越不对劲，现在还能退吗？"
    assert "399" not in asking_part(story) and asking_part(story).endswith("现在还能退吗")
    assert "1.5%" in asking_part("残疾人就业保障金是按上年职工工资总额的1.5%交吗")
    assert "2024" in asking_part("2024年甘肃最低工资标准是多少？")


def test_a_second_ask_left_open_after_a_question_mark_is_read_too():
    from index.answer_types import asking_part
    # 地址在哪 asks, after a first question that ends in ？; 预算三千 only tells
    assert unstated("陇原妹家政在酒泉有门店吗？地址在哪", ["支持家政企业在酒泉设立门店。"]).name == "contact"
    assert "预算三千" not in asking_part("哪款扫地机器人好？预算三千")
    assert "怎么申请" in asking_part("补贴标准是多少？怎么申请")


@pytest.mark.parametrize("query, kind", [
    ("甘肃失业保险金每月标准", "money"), ("婴幼儿照护个税扣除额度", "money"), ("工伤认定申请时限", "date"),
    ("护士执业注册有效期", "date"), ("养老护理员培训人数", "count")])
def test_a_search_box_query_asks_by_the_noun_it_ends_in(query, kind):
    assert [k.name for k in asked_in(query)][:1] == [kind]  # 有效期 is also asked as a validity


@pytest.mark.parametrize("query", ["养老服务设施配建标准", "一个执照登记多个经营地址", "托育机构用地政策",
                                   "失业保险金的标准是怎么定的"])
def test_a_query_that_asks_in_words_or_names_no_paid_standard_is_not_read_by_its_last_noun(query):
    # 配建标准 is an area, 地址 here is what is registered, and a question in words is read as written
    assert not {k.name for k in asked_in(query)} & {"money", "date", "count"}


def test_progress_of_a_count_asked_in_a_search_box_query():
    assert unstated("爱心理发员实际培训人数", ["力争到2023年累计培训“爱心理发员”2万人次"]).name == "status"


def test_a_count_asked_in_a_unit_is_stated_only_in_that_unit():
    target = "人均体育场地面积达到2.5平方米，每千人口拥有医疗卫生机构床位数达到6.5张"
    assert unstated("到2025年甘肃人均预期寿命要达到多少岁？", [target]).name == "count"
    assert unstated("人均体育场地面积要达到多少平方米？", [target]) is None
    assert unstated("每千人口床位数要达到几张？", [target]) is None


def test_how_to_switch_a_service_on_and_which_window_are_asked():
    assert [k.name for k in asked_in("医保家庭共济怎么开通")] == ["procedure"]
    assert "contact" in [k.name for k in asked_in("去人社局哪个窗口办")]


def test_a_goal_asked_for_a_year_after_every_year_the_clause_names():
    clause = ["到2025年，配套托育服务设施覆盖所有新建住宅小区"]
    assert unstated("甘肃2030年养老服务的发展目标是什么", clause).name == "year"
    assert unstated("2022年出台的方案里托育的目标是什么", clause) is None  # a year before: the plan's own


def test_whether_a_document_was_issued_is_progress_a_plan_does_not_report():
    plan = ["推动市县因地制宜制定社区普惠性生活服务机构（网点）认定支持具体办法"]
    assert unstated("兰州市社区普惠性生活服务机构认定办法出台了没", plan).name == "status"
    # asked with its conditions too: whether it was issued is what the plan cannot say, named first
    assert unstated("兰州市社区普惠性生活服务机构认定办法出台了没，具体条件是啥", plan).name == "status"
    assert unstated("兰州市社区普惠性生活服务机构认定办法的具体条件是啥", plan).name == "conditions"
    # will it be published: a plan's promise answers that
    assert unstated("生活服务行业的统计信息，会定期向社会发布吗？", plan) is None


@pytest.mark.parametrize("question", ["2023年甘肃全省实际培训了多少名养老护理员？完成进度怎么样？",
                                      "甘肃目前已经建成的文化旅游康养小镇有哪几个？"])
def test_progress_asked_as_what_was_actually_done_or_built(question):
    assert unstated(question, ["力争到2025年培养养老护理员5万名，创新开发10个左右文化旅游康养小镇。"]).name == "status"


def test_a_subsidy_asked_as_how_much_is_a_sum():
    question = "兰州市新建普惠托育机构，每个托位能拿到多少建设补贴？"
    assert [k.name for k in asked_in(question)] == ["money"]
    assert unstated(question, [TARGET_2025]).name == "money"
    assert "money" not in [k.name for k in asked_in("多少人能领补贴")]  # a number of people


@pytest.mark.parametrize("question, law", [("全国助残日 日期", "每年5月的第三个星期日为全国助残日。"),
                                           ("老年节是哪一天", "每年农历九月初九为老年节。"),
                                           ("国庆节是几月", "十月一日为国庆节。")])
def test_a_day_of_the_year_states_a_date(question, law):
    assert [k.name for k in asked_in(question)] == ["date"]
    assert unstated(question, [law]) is None


@pytest.mark.parametrize("question, kinds", [("产教融合型企业建设培育库 申报流程 材料", ["form", "procedure"]),
                                             ("养老机构 建设补贴 申请流程", ["procedure"])])
def test_a_search_box_query_ending_in_materials_or_a_procedure_asks_for_them(question, kinds):
    # every term of it asks by its own last noun (申报流程, then 材料)
    assert sorted(k.name for k in asked_in(question)) == sorted(kinds)
    assert unstated(question, ["支持生活性服务业企业联合高等学校和职业院校共同开发课程标准。"]).name in kinds
    assert asked_in("家政服务 税收减免 甘肃") == ()



def test_an_amount_for_one_sector_is_not_stated_by_another_sectors_sum():
    clause = ["对新建养老机构每张床位补助1万元。鼓励发展普惠托育服务。"]
    assert unstated("托育机构每个托位补助多少钱", clause).name == "money"
    assert unstated("养老机构每张床位补助多少钱", clause) is None


def test_a_clock_time_in_words_states_one():
    law = ["网络游戏服务提供者不得在每日二十二时至次日八时向未成年人提供网络游戏服务。"]
    assert unstated("未成年人玩网络游戏，晚上几点以后平台就不能提供服务了？", law) is None
    assert unstated("社区食堂几点开门？", ["一时难以满足的需求，及时处理。"]).name == "clock"


@pytest.mark.parametrize("question, kinds", [("我在外地看病，异地就医备案在手机上怎么办？", ["procedure"]),
                                             ("生育登记怎么办", ["procedure"]),
                                             # what to do, not how to file
                                             ("办了预付卡商家跑路了怎么办？", []),
                                             ("“甘快办”APP实名认证一直失败该怎么办？", [])])
def test_how_to_do_after_a_filing_or_a_certificate_asks_for_a_procedure(question, kinds):
    assert [k.name for k in asked_in(question)] == kinds



@pytest.mark.parametrize("question", ["经营高危险性体育项目需要满足什么条件？", "开潜水馆这类高危险性体育项目，需要什么条件，去哪审批？"])
def test_conditions_asked_are_stated_by_the_list_of_them_for_what_the_question_names(question):
    law = "经营高危险性体育项目，应当符合下列条件，并向县级以上地方人民政府体育行政部门提出申请："
    assert [k.name for k in asked_in(question)] == ["conditions"]
    assert unstated(question, [law]) is None
    # 符合条件的 names conditions it does not state; a list for another activity is none for this one
    assert unstated(question, ["对符合条件的产教融合型企业按规定给予奖励。"]).name == "conditions"
    assert unstated(question, ["职业培训机构的设立，应当符合下列基本条件："]).name == "conditions"
    assert unstated("我想在县城开个电焊培训班，需要具备什么条件？", ["职业培训机构的设立，应当符合下列基本条件："]) is None


PILOT_CITIES = "加快推进兰州、张掖、酒泉等国家文旅消费试点城市建设。"
TOWNS = "实施文化旅游康养产业倍增计划，创新开发10个左右文化旅游康养小镇、引导培育50个左右文化旅游康养新业态。"


@pytest.mark.parametrize("question", ["方案里的国家文旅消费试点城市具体是哪几个？", "国家文旅消费试点城市有哪几个", "试点城市 名单"])
def test_names_asked_are_stated_by_a_list_of_what_is_asked(question):
    assert [k.name for k in asked_in(question)] == ["names"]
    assert unstated(question, [PILOT_CITIES]) is None
    assert unstated(question, [TOWNS]).name == "names"


def test_names_are_not_stated_by_a_count_or_by_a_list_of_something_else():
    # 10个左右 is how many, not which; 康养新业态 and 专业 lists are lists of other things
    assert unstated("文化旅游康养小镇具体是哪十个地方？", [TOWNS]).name == "names"
    assert unstated("甘肃有哪些高职院校开了婴幼儿托育专业？",
                    ["增设养老、托育、家政等专业，支持托育等相关专业高职毕业生提升学历。"]).name == "names"
    assert unstated("国务院民政部门指定的互联网公开募捐平台都有哪几家？",
                    ["慈善组织通过互联网开展公开募捐的，应当在国务院民政部门指定的互联网公开募捐服务平台进行。"]).name == "names"


@pytest.mark.parametrize("question", ["文旅康养产业倍增计划具体有哪几项数量目标？", "养老机构具体有哪几种补贴",
                                      "具体有哪几个方面的支持", "省民政厅要做的具体是哪些工作",
                                      # a department asked by how many (a false abstention of q22)
                                      "这项用地价格政策由哪两个部门牵头负责？"])
def test_asking_which_measures_tasks_or_targets_asks_for_no_names(question):
    assert "names" not in [k.name for k in asked_in(question)]


@pytest.mark.parametrize(("question", "kind"), [("初中学业水平考试里体育科目满分是多少分？", "count"),
                                                ("国家基本药物目录里一共有多少种药？", "count"),
                                                ("国家中小企业发展基金总规模有多大？", "money"),
                                                ("酒泉作为试点城市获得了多少专项扶持资金？", "money"),
                                                ("“甘快办”APP上怎么做养老金领取资格认证？", "procedure"),
                                                ("未成年人保护热线 电话号码", "contact"),
                                                # each term of a search-box query asks by its last noun
                                                ("导游资格考试 报名时间 考试科目", "date"),
                                                ("爱心理发员 培训 报名 地点", "contact"),
                                                ("甘肃 体育消费券 领取", "procedure")])
def test_more_ways_of_asking_for_a_figure_a_procedure_or_a_number(question, kind):
    assert kind in [k.name for k in asked_in(question)]


def test_a_score_is_stated_by_points_and_a_document_issued_by_saying_so():
    assert unstated("体育科目满分是多少分？", ["体育科目纳入初中学业水平考试范围。"]).name == "count"
    assert unstated("体育科目满分是多少分？", ["体育科目分值为70分。"]) is None
    assert unstated("天水市是否已出台本市的行动方案？", ["各地要广泛宣传动员。"]).name == "status"
    assert unstated("天水市是否已出台本市的行动方案？", ["天水市已印发实施方案。"]) is None
    # a terse query for a telephone number is answered only by one
    assert unstated("未成年人保护热线 电话号码", ["开通全国统一的未成年人保护热线。"]).name == "contact"
    assert unstated("未成年人保护热线 电话号码", ["未成年人保护热线为12355。"]) is None


def test_a_validity_asked_is_stated_by_a_validity_not_by_another_period():
    question = "慈善组织的公开募捐资格证书有效期是几年？"
    assert "validity" in [k.name for k in asked_in(question)]
    assert unstated(question, ["民政部门应当自受理申请之日起二十日内作出决定。"]).name == "validity"
    assert unstated(question, ["公开募捐资格证书有效期为五年。"]) is None


def test_a_discount_is_a_rate_and_a_share_named_in_what_happens_is_not_asked():
    assert unstated("我七十了，去体育馆游泳能打几折？", ["体育场馆应当对老年人免费或者优惠开放。"]).name == "rate"
    assert unstated("我七十了，去体育馆游泳能打几折？", ["体育场馆对老年人半价开放。"]) is None
    assert asked_in("用人单位安排残疾人就业是否有比例要求？达不到比例怎么处理？") == ()


def test_conditions_are_also_stated_by_who_may_apply_past_a_threshold():
    law = ["依法登记满一年的慈善组织，可以向办理其登记的民政部门申请公开募捐资格。"]
    assert unstated("慈善组织 公开募捐资格 申请条件", law) is None
    # 符合条件的 still states none
    assert unstated("慈善组织 公开募捐资格 申请条件", ["对符合条件的慈善组织，可以申请公开募捐资格。"]).name == "conditions"
